"""The Redis job queue: delivery, retries, dead letters, orphan recovery, correlation ids."""

from __future__ import annotations

import json
from pathlib import Path

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


def test_every_line_about_a_job_carries_its_correlation_id(
    redis_client: redis.Redis, tmp_path: Path
) -> None:
    from sync_server.observability.logs import (
        configure_logging,
        correlation_id_var,
        shutdown_logging,
    )

    def fail(job: Job) -> None:
        assert correlation_id_var.get() == "acao-2"
        raise ValueError("falhou")

    enqueue(redis_client, "falha", {}, correlation_id="acao-2")
    enqueue(redis_client, "eco", {}, correlation_id="acao-3")
    worker = Worker(redis_client, {"falha": fail, "eco": lambda job: None}, max_attempts=1)
    log_file = tmp_path / "worker.jsonl"
    configure_logging(service="teste-worker", level="INFO", log_file=log_file, stdout=False)
    try:
        while worker.run_once(timeout_s=0.1):
            pass
    finally:
        shutdown_logging()
    lines = [json.loads(line) for line in log_file.read_text().splitlines()]
    by_message = {line["message"]: line for line in lines}
    failed = next(line for m, line in by_message.items() if m.startswith("job falhou"))
    done = by_message["job concluído"]
    assert failed["correlation_id"] == "acao-2"
    assert done["correlation_id"] == "acao-3"
    assert done["payload"]["tempo_de_processamento_ms"] >= 0
    assert correlation_id_var.get() is None
