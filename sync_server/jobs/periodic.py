"""Periodic tasks run by the worker loop between jobs (alert evaluation, log maintenance, ...).

A task runs when its interval has passed since its last start (on a monotonic clock); the first
run happens on the first tick. A task that raises is logged and tried again at its next due time;
it never stops the worker. Tasks that must run in one process only take a PostgreSQL advisory lock
themselves (see :func:`sync_server.observability.alerts.evaluate_rules`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicTask:
    name: str
    interval_s: float
    run: Callable[[], object]


class Scheduler:
    def __init__(
        self, tasks: Iterable[PeriodicTask], *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.tasks = list(tasks)
        self.clock = clock
        self._next: dict[str, float] = {}

    def run_due(self) -> list[str]:
        """Run every task that is due; the names of those that ran."""
        ran = []
        for task in self.tasks:
            now = self.clock()
            if now < self._next.get(task.name, now):
                continue
            self._next[task.name] = now + task.interval_s
            ran.append(task.name)
            try:
                task.run()
            except Exception:
                log.exception("tarefa periódica falhou", extra={"payload": {"tarefa": task.name}})
        return ran
