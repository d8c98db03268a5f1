"""The worker's periodic observability tasks: alert evaluation and log maintenance."""

from __future__ import annotations

from sync_server.jobs.periodic import PeriodicTask
from sync_server.observability import alerts, retention
from sync_server.observability.logs import log_context
from sync_server.services import Services


def observability_tasks(
    services: Services, *, clock: retention.Clock = retention.utc_now
) -> list[PeriodicTask]:
    settings = services.settings
    notifier = alerts.make_admin_notifier(services.engine, services.redis)

    def evaluate() -> None:
        with log_context():
            alerts.evaluate_rules(
                services.engine,
                clock=clock,
                statement_timeout_ms=settings.alert_statement_timeout_ms,
                notifier=notifier,
            )

    def maintain() -> None:
        with log_context():
            retention.run_log_maintenance(services.engine, settings, clock=clock)

    return [
        PeriodicTask("alertas.avaliar", settings.alert_eval_interval_s, evaluate),
        PeriodicTask("logs.manutencao", settings.log_maintenance_interval_s, maintain),
    ]
