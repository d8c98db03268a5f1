"""The Redis job queue: delivery, retries, dead letters, orphan recovery, correlation ids."""

from __future__ import annotations

import redis

from sync_server.jobs.queue import Job, Worker, enqueue, queue_key


def test_job_runs_once_and_leaves_nothing_behind(redis_client: redis.Redis) -> None:
    seen: list[Job] = []
    enqueue(redis_client, "eco", {"n": 1}, correlation_id="acao-1")
    worker = Worker(redis_client, {"eco": seen.append})
    assert worker.run_once(timeout_s=0.1)
    assert not worker.run_once(timeout_s=0.1)
    assert [(j.kind, j.payload, j.correlation_id) for j in seen] == [("eco", {"n": 1}, "acao-1")]
    assert redis_client.llen(queue_key("default")) == 0
    assert redis_client.llen(worker.processing_key) == 0


def test_failing_job_is_retried_then_dead_lettered(redis_client: redis.Redis) -> None:
    calls = []

    def fail(job: Job) -> None:
        calls.append(job.attempts)
        raise ValueError("falhou")

    enqueue(redis_client, "falha", {})
    worker = Worker(redis_client, {"falha": fail}, max_attempts=3)
    while worker.run_once(timeout_s=0.1):
        pass
    assert calls == [0, 1, 2]
    dead = redis_client.lrange(queue_key("default") + ":dead", 0, -1)
    assert len(dead) == 1 and Job.decode(dead[0]).attempts == 3


def test_unknown_kind_goes_to_dead_letter_eventually(redis_client: redis.Redis) -> None:
    enqueue(redis_client, "desconhecido", {})
    worker = Worker(redis_client, {}, max_attempts=1)
    worker.run_once(timeout_s=0.1)
    assert redis_client.llen(queue_key("default") + ":dead") == 1


def test_orphaned_jobs_of_a_dead_worker_are_requeued(redis_client: redis.Redis) -> None:
    enqueue(redis_client, "eco", {"n": 2})
    crashed = Worker(redis_client, {}, worker_id="morto")
    # Simulate a crash mid-job: the job sits in the dead worker's processing list.
    redis_client.lmove(queue_key("default"), crashed.processing_key, "RIGHT", "LEFT")
    seen: list[Job] = []
    survivor = Worker(redis_client, {"eco": seen.append})
    assert survivor.recover_orphans() == 1
    assert survivor.run_once(timeout_s=0.1)
    assert seen[0].payload == {"n": 2}


def test_live_worker_jobs_are_not_stolen(redis_client: redis.Redis) -> None:
    enqueue(redis_client, "eco", {})
    busy = Worker(redis_client, {}, worker_id="vivo")
    busy.heartbeat()
    redis_client.lmove(queue_key("default"), busy.processing_key, "RIGHT", "LEFT")
    assert Worker(redis_client, {}).recover_orphans() == 0
