"""``peerseed-server``: run, migrate, seed-demo, worker, verify-ledger.

With no ``PEERSEED_DATABASE_URL`` / ``PEERSEED_REDIS_URL`` every command starts the embedded
PostgreSQL / Redis it needs (data under the user's data directory) and stops them on exit.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import Any

from sync_server.settings import Settings

log = logging.getLogger("sync_server.cli")

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {}
    if getattr(args, "host", None):
        overrides["host"] = args.host
    if getattr(args, "port", None):
        overrides["port"] = args.port
    return Settings(**overrides)


def _configure_logs(settings: Settings) -> None:
    from sync_server.observability.logs import configure_logging

    configure_logging(
        service=settings.service_name,
        level=settings.log_level,
        log_file=settings.resolved_log_file,
        stdout=settings.log_stdout,
    )


def cmd_migrate(settings: Settings) -> int:
    from sync_server import migrate

    assert settings.database_url
    migrate.upgrade(settings.database_url)
    log.info("migrações aplicadas", extra={"payload": {"revisao": migrate.head_revision()}})
    return 0


def cmd_seed_demo(settings: Settings) -> int:
    from sync_server import db, migrate
    from sync_server.demo.seed import seed_demo

    assert settings.database_url
    migrate.upgrade(settings.database_url)
    engine = db.make_engine(settings.database_url, pool_size=1, max_overflow=0)
    try:
        with engine.begin() as conn:
            report = seed_demo(conn)
    finally:
        engine.dispose()
    log.info("dados de demonstração prontos", extra={"payload": report.as_log_payload()})
    print(report.summary())
    return 0


def cmd_verify_ledger(settings: Settings) -> int:
    from sync_server.ledger.service import verify_ledger_command

    assert settings.database_url
    return verify_ledger_command(settings.database_url, sys.stdout)


def cmd_worker(settings: Settings) -> int:
    from sync_server.jobs.worker import run_worker
    from sync_server.observability.db_sink import db_sink_installed
    from sync_server.services import Services

    services = Services.from_settings(settings)
    try:
        with db_sink_installed(services.engine, settings):
            run_worker(services)
    finally:
        services.close()
    return 0


def _serve(config: Any) -> None:
    """uvicorn's server, but a captured SIGINT/SIGTERM is not re-raised after the graceful
    shutdown: the CLI still has to stop the embedded PostgreSQL and Redis it started."""
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            if threading.current_thread() is not threading.main_thread():
                yield
                return
            previous = {sig: signal.signal(sig, self.handle_exit) for sig in _STOP_SIGNALS}
            try:
                yield
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)

    Server(config).run()


def cmd_run(settings: Settings, *, demo: bool) -> int:
    import uvicorn

    from sync_server.app import create_app

    cmd_migrate(settings)
    if demo:
        cmd_seed_demo(settings)
    app = create_app(settings, configure_logs=False)
    config = uvicorn.Config(
        app, host=settings.host, port=settings.port, log_config=None, access_log=False
    )
    log.info(
        "servidor ouvindo",
        extra={"payload": {"url": f"http://{settings.host}:{settings.port}"}},
    )
    _serve(config)  # returns after SIGINT/SIGTERM, having drained requests
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="peerseed-server", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="migra e serve a API (PostgreSQL/Redis embutidos se preciso)")
    run.add_argument("--host", help="endereço de escuta (padrão 127.0.0.1)")
    run.add_argument("--port", type=int, help="porta (padrão 8000)")
    run.add_argument("--demo", action="store_true", help="carrega os dados de demonstração")
    sub.add_parser("migrate", help="aplica as migrações do Alembic")
    sub.add_parser("seed-demo", help="carrega os dados de demonstração (idempotente)")
    sub.add_parser("worker", help="executa os jobs da fila Redis")
    sub.add_parser("verify-ledger", help="verifica a cadeia de hashes do ledger")
    sub.add_parser("logs-retention", help="exporta, arquiva e remove partições de logs antigas")
    restore = sub.add_parser("logs-restore", help="restaura um dia arquivado em logs_restaurados")
    restore.add_argument("--day", required=True, help="AAAA-MM-DD")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from sync_server.embedded import resolved_settings

    args = build_parser().parse_args(argv)
    base = _settings(args)
    if args.command == "worker":
        # The worker's lines are told apart from the API's in the stored logs and the dashboard.
        base = base.model_copy(update={"service_name": f"{base.service_name}-worker"})
    _configure_logs(base)
    need_redis = args.command in ("run", "worker")
    try:
        with resolved_settings(base, need_redis=need_redis) as settings:
            if args.command == "run":
                return cmd_run(settings, demo=args.demo)
            if args.command == "migrate":
                return cmd_migrate(settings)
            if args.command == "seed-demo":
                return cmd_seed_demo(settings)
            if args.command == "worker":
                return cmd_worker(settings)
            if args.command == "logs-retention":
                from sync_server.observability.retention import cmd_logs_retention

                return cmd_logs_retention(settings, sys.stdout)
            if args.command == "logs-restore":
                from sync_server.observability.retention import cmd_logs_restore

                return cmd_logs_restore(settings, args.day, sys.stdout)
            return cmd_verify_ledger(settings)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
