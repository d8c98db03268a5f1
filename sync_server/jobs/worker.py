"""The ``peerseed-server worker`` process: runs queued jobs until SIGINT/SIGTERM."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Mapping, Sequence
from types import FrameType

from sync_server.jobs.periodic import PeriodicTask, Scheduler
from sync_server.jobs.queue import Handler, Worker
from sync_server.services import Services

log = logging.getLogger(__name__)


def build_handlers(services: Services) -> dict[str, Handler]:
    """The job kinds this server knows, each bound to the services it needs."""
    from sync_server.notifications import service as notifications

    return {
        notifications.JOB_KIND: notifications.make_delivery_handler(
            notifications.SandboxSender(services.sessions)
        ),
    }


def build_periodic_tasks(services: Services) -> list[PeriodicTask]:
    """Tasks the worker runs on a timer between jobs (each at most once per interval)."""
    from sync_server.observability.tasks import observability_tasks

    return [*observability_tasks(services)]


def run_worker(
    services: Services,
    *,
    handlers: Mapping[str, Handler] | None = None,
    stop: threading.Event | None = None,
    queue: str = "default",
    periodic: Sequence[PeriodicTask] | None = None,
) -> None:
    """Run jobs until ``stop``; ``periodic`` defaults to :func:`build_periodic_tasks` unless
    ``handlers`` were given (tests), in which case no periodic task runs unless asked for."""
    stop = stop or threading.Event()
    chosen = handlers if handlers is not None else build_handlers(services)
    worker = Worker(services.redis, chosen, queue=queue)

    def _stop(signum: int, _frame: FrameType | None) -> None:
        log.info("sinal recebido; encerrando o worker", extra={"payload": {"sinal": signum}})
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)
    log.info(
        "worker iniciado",
        extra={"payload": {"fila": queue, "worker_id": worker.worker_id, "tipos": sorted(chosen)}},
    )
    worker.recover_orphans()
    default_tasks = build_periodic_tasks(services) if handlers is None else []
    scheduler = Scheduler(periodic if periodic is not None else default_tasks)
    while not stop.is_set():
        worker.run_once(timeout_s=1.0)
        scheduler.run_due()
    log.info("worker encerrado", extra={"payload": {"worker_id": worker.worker_id}})
