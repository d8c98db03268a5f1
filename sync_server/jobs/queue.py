"""Reliable Redis lists: a job moves atomically to its worker's processing list while it runs.

Keys: ``queue:{name}`` (pending), ``queue:{name}:processing:{worker}`` (in flight),
``queue:{name}:dead`` (gave up after ``max_attempts``),
``queue:{name}:worker:{worker}`` (heartbeat).
A worker that dies leaves its processing list behind; the next worker to start requeues it once the
heartbeat has expired.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import redis

from sync_server.observability.logs import correlation_id_var

log = logging.getLogger(__name__)

HEARTBEAT_TTL_S = 30


def queue_key(name: str) -> str:
    return f"queue:{name}"


@dataclass(frozen=True)
class Job:
    kind: str
    payload: dict[str, Any]
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    correlation_id: str | None = None
    attempts: int = 0
    enqueued_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    def encode(self) -> bytes:
        return json.dumps(self.__dict__, ensure_ascii=False, sort_keys=True).encode()

    @classmethod
    def decode(cls, raw: bytes | str) -> Job:
        data = json.loads(raw)
        return cls(**data)


def enqueue(
    client: redis.Redis,
    kind: str,
    payload: Mapping[str, Any],
    *,
    queue: str = "default",
    correlation_id: str | None = None,
) -> Job:
    job = Job(kind=kind, payload=dict(payload), correlation_id=correlation_id)
    client.lpush(queue_key(queue), job.encode())
    return job


Handler = Callable[[Job], None]


class Worker:
    """Takes jobs from one queue and runs the handler registered for their kind."""

    def __init__(
        self,
        client: redis.Redis,
        handlers: Mapping[str, Handler],
        *,
        queue: str = "default",
        max_attempts: int = 5,
        worker_id: str | None = None,
    ) -> None:
        self.client = client
        self.handlers = dict(handlers)
        self.queue = queue
        self.max_attempts = max_attempts
        self.worker_id = worker_id or uuid.uuid4().hex[:12]

    @property
    def processing_key(self) -> str:
        return f"{queue_key(self.queue)}:processing:{self.worker_id}"

    def heartbeat(self) -> None:
        self.client.set(f"{queue_key(self.queue)}:worker:{self.worker_id}", 1, ex=HEARTBEAT_TTL_S)

    def recover_orphans(self) -> int:
        """Requeue jobs left in processing lists of workers whose heartbeat expired."""
        recovered = 0
        prefix = f"{queue_key(self.queue)}:processing:"
        for key in self.client.scan_iter(match=prefix + "*"):
            owner = key.decode().removeprefix(prefix)
            if owner == self.worker_id:
                continue
            if self.client.exists(f"{queue_key(self.queue)}:worker:{owner}"):
                continue
            while self.client.lmove(key, queue_key(self.queue), "RIGHT", "RIGHT") is not None:
                recovered += 1
        if recovered:
            log.warning("jobs órfãos recolocados na fila", extra={"payload": {"jobs": recovered}})
        return recovered

    def run_once(self, timeout_s: float = 1.0) -> bool:
        """Run at most one job; False when the queue stayed empty for ``timeout_s``."""
        self.heartbeat()
        raw: bytes | str | None = self.client.blmove(
            queue_key(self.queue),
            self.processing_key,
            timeout_s,  # type: ignore[arg-type]  # redis accepts fractional seconds
            "RIGHT",
            "LEFT",
        )
        if raw is None:
            return False
        try:
            job = Job.decode(raw)
        except (ValueError, TypeError):
            log.error("job ilegível descartado para a fila morta")
            self._finish(raw, dead=True)
            return True
        # Every line about this job, the handler's and ours, carries the id of the action
        # that queued it.
        token = correlation_id_var.set(job.correlation_id)
        try:
            self._run(raw, job)
        finally:
            correlation_id_var.reset(token)
        return True

    def _run(self, raw: bytes | str, job: Job) -> None:
        handler = self.handlers.get(job.kind)
        started = time.perf_counter()
        try:
            if handler is None:
                raise LookupError(f"nenhum handler para o tipo de job {job.kind!r}")
            handler(job)
        except Exception as exc:
            self._retry(raw, job, exc)
            return
        self._finish(raw)
        log.info(
            "job concluído",
            extra={
                "payload": {
                    "job_id": job.id,
                    "tipo": job.kind,
                    "tentativas": job.attempts + 1,
                    "tempo_de_processamento_ms": round((time.perf_counter() - started) * 1000, 2),
                }
            },
        )

    def _retry(self, raw: bytes | str, job: Job, exc: Exception) -> None:
        attempts = job.attempts + 1
        dead = attempts >= self.max_attempts
        log.error(
            "job falhou" + (" e foi para a fila morta" if dead else "; nova tentativa"),
            exc_info=exc,
            extra={"payload": {"job_id": job.id, "tipo": job.kind, "tentativas": attempts}},
        )
        retried = Job(
            kind=job.kind,
            payload=job.payload,
            id=job.id,
            correlation_id=job.correlation_id,
            attempts=attempts,
            enqueued_at=job.enqueued_at,
        ).encode()
        pipe = self.client.pipeline()
        pipe.lrem(self.processing_key, 1, raw)  # type: ignore[arg-type]
        pipe.lpush(queue_key(self.queue) + (":dead" if dead else ""), retried)
        pipe.execute()

    def _finish(self, raw: bytes | str, *, dead: bool = False) -> None:
        pipe = self.client.pipeline()
        pipe.lrem(self.processing_key, 1, raw)  # type: ignore[arg-type]
        if dead:
            pipe.lpush(queue_key(self.queue) + ":dead", raw)
        pipe.execute()
