"""SQL alert rules: validation, evaluation state machine, admin notification, periodic hook."""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa

from sync_server.db import make_engine, make_sessionmaker
from sync_server.jobs.periodic import PeriodicTask, Scheduler
from sync_server.jobs.queue import Job, queue_key
from sync_server.jobs.worker import build_periodic_tasks, run_worker
from sync_server.notifications import service as notifications
from sync_server.observability import alerts
from sync_server.services import Services
from sync_server.settings import Settings

NOW = dt.datetime(2027, 3, 15, 12, 0, tzinfo=dt.UTC)


# -- static checks ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT 1 AS valor",
        "select 1 as valor;",
        "  WITH x AS (SELECT 2 AS valor) SELECT * FROM x ;  ",
        "SELECT ';' AS chave, 1 AS valor -- comentário; com ponto e vírgula",
        "SELECT $$;$$ AS chave, /* ; */ 1 AS valor",
        "SELECT $tag$ it's; $tag$ AS chave, E'\\'' AS x, 1 AS valor",
        "SELECT count(*) AS valor FROM logs WHERE \"timestamp\" >= :inicio AND level = 'ERROR'",
        "SELECT (payload->>'x')::numeric AS valor FROM logs WHERE service = CAST(:servico AS text)",
    ],
)
def test_acceptable_rule_sql(sql: str) -> None:
    assert alerts.check_rule_sql(sql)


@pytest.mark.parametrize(
    ("sql", "reason"),
    [
        ("", "vazia"),
        ("SELECT 1 AS valor; SELECT 2", "único comando"),
        ("DELETE FROM logs", "começar com SELECT"),
        ("WITH d AS (DELETE FROM logs RETURNING 1) SELECT 1 AS valor", "delete"),
        ("SELECT pg_sleep(100) AS valor", "pg_sleep"),
        ("SELECT 1 AS valor INTO copia", "into"),
        ("SELECT set_config('a.b', '1', false) AS valor", "set_config"),
        ("SELECT 1 AS valor WHERE :hacker = 1", "parâmetro desconhecido"),
        ("SELECT 'sem fim AS valor", "sem fechamento"),
        ("SELECT 1 AS valor /* sem fim", "sem fechamento"),
    ],
)
def test_unacceptable_rule_sql(sql: str, reason: str) -> None:
    with pytest.raises(alerts.RuleInvalid, match=reason):
        alerts.check_rule_sql(sql)


def test_parameters_ignore_casts_and_strings() -> None:
    sql = "SELECT ':fake'::text, x::numeric AS valor FROM t WHERE a > :inicio AND b < :fim"
    assert alerts.parameters_of(sql) == {"inicio", "fim"}


# -- checks against PostgreSQL ----------------------------------------------------------------


def validate(engine: sa.Engine, sql: str, *, timeout_ms: int = 2000) -> str:
    return alerts.validate_rule(
        engine,
        consulta=sql,
        janela_minutos=5,
        servico=None,
        limiar=Decimal(10),
        statement_timeout_ms=timeout_ms,
        clock=lambda: NOW,
    )


def test_builtin_rules_validate(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        rules = conn.execute(sa.text("SELECT nome, consulta FROM alerta_regras")).all()
    assert {name for name, _ in rules} >= {"erros_por_servico", "p95_tempo_processamento"}
    for _, sql in rules:
        validate(engine, sql)


def test_trial_run_refuses_bad_queries(engine: sa.Engine) -> None:
    with pytest.raises(alerts.RuleInvalid, match="'valor'"):
        validate(engine, "SELECT 1 AS outra_coisa")
    with pytest.raises(alerts.RuleInvalid, match="recusou"):
        validate(engine, "SELECT nada AS valor FROM tabela_que_nao_existe")
    with pytest.raises(alerts.RuleInvalid, match="recusou"):
        # Untyped NULL parameter: PostgreSQL wants CAST(:servico AS text).
        validate(engine, "SELECT 1 AS valor WHERE :servico IS NULL")


def test_rules_run_read_only_with_a_statement_timeout(engine: sa.Engine) -> None:
    with pytest.raises(sa.exc.DBAPIError, match="read-only transaction"):
        alerts.run_read_only(
            engine, "UPDATE alerta_regras SET limiar = 0", {}, statement_timeout_ms=1000
        )
    with pytest.raises(sa.exc.DBAPIError, match="statement timeout"):
        alerts.run_read_only(
            engine,
            "SELECT count(*) AS valor FROM generate_series(1, 200000000)",
            {},
            statement_timeout_ms=100,
        )


# -- evaluation -------------------------------------------------------------------------------


@pytest.fixture
def fresh_engine(fresh_db_url: str) -> Iterator[sa.Engine]:
    eng = make_engine(fresh_db_url, pool_size=3, max_overflow=2)
    try:
        yield eng
    finally:
        eng.dispose()


def add_logs(
    engine: sa.Engine,
    *,
    service: str,
    count: int,
    at: dt.datetime,
    level: str = "INFO",
    tempo_ms: float | None = None,
) -> None:
    payload = "{}" if tempo_ms is None else f'{{"tempo_de_processamento_ms": {tempo_ms}}}'
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                'INSERT INTO logs ("timestamp", level, service, message, payload)'
                " SELECT :at, :level, :service, 'linha', CAST(:payload AS jsonb)"
                " FROM generate_series(1, :n)"
            ),
            {"at": at, "level": level, "service": service, "payload": payload, "n": count},
        )


def make_admin(engine: sa.Engine) -> tuple[uuid.UUID, str]:
    email = f"admin-{uuid.uuid4().hex[:10]}@example.com"
    with engine.begin() as conn:
        user_id = conn.execute(
            sa.text(
                "INSERT INTO usuarios (nome_completo, email, senha_hash, cpf, celular, perfil)"
                " VALUES ('Admin', :email, 'x', :cpf, '+5565999990000', 'ADMIN') RETURNING id"
            ),
            {"email": email, "cpf": f"{secrets.randbelow(10**11):011d}"},
        ).scalar_one()
    return user_id, email


def events(engine: sa.Engine) -> list[tuple[str, str, str]]:
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.text(
                    "SELECT r.nome, e.chave, e.estado FROM alerta_eventos e"
                    " JOIN alerta_regras r ON r.id = e.regra_id ORDER BY e.id"
                )
            ).all()
        ]


def alert_jobs(client: redis.Redis, email: str) -> list[Job]:
    jobs = [Job.decode(raw) for raw in client.lrange(queue_key("default"), 0, -1)]
    return [j for j in jobs if j.payload.get("tipo") == "alerta" and j.payload["destino"] == email]


@pytest.fixture
def private_redis(redis_client: redis.Redis) -> Iterator[redis.Redis]:
    """Same server, a logical database no fixture flushes (test runs may share the machine)."""
    pool = redis_client.connection_pool
    client = redis.Redis(
        connection_pool=redis.ConnectionPool(
            connection_class=pool.connection_class, **{**pool.connection_kwargs, "db": 15}
        )
    )
    try:
        yield client
    finally:
        client.close()


def test_error_rule_fires_once_stays_quiet_then_resolves(
    fresh_engine: sa.Engine, private_redis: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    redis_client = private_redis
    admin_id, admin_email = make_admin(fresh_engine)
    notifier = alerts.make_admin_notifier(fresh_engine, redis_client)
    add_logs(
        fresh_engine,
        service="pagamentos",
        count=11,
        at=NOW - dt.timedelta(minutes=2),
        level="ERROR",
    )
    add_logs(
        fresh_engine, service="cadastro", count=10, at=NOW - dt.timedelta(minutes=2), level="ERROR"
    )
    add_logs(
        fresh_engine, service="antigo", count=50, at=NOW - dt.timedelta(minutes=6), level="ERROR"
    )

    first = alerts.evaluate_rules(fresh_engine, clock=lambda: NOW, notifier=notifier)
    assert [(f.rule_name, f.key, f.value) for f in first.fired] == [
        ("erros_por_servico", "pagamentos", Decimal(11))
    ]
    assert first.evaluated >= 2 and first.failed == []
    assert "alerta disparado" in caplog.text
    assert events(fresh_engine) == [("erros_por_servico", "pagamentos", "DISPARADO")]

    # Notified to the admin through the sandbox sender.
    jobs = alert_jobs(redis_client, admin_email)
    assert len(jobs) == 1
    sender = notifications.SandboxSender(make_sessionmaker(fresh_engine))
    notifications.make_delivery_handler(sender)(jobs[0])
    with fresh_engine.connect() as conn:
        note = conn.execute(
            sa.text("SELECT usuario_id, destino, tipo, assunto, corpo FROM notificacoes")
        ).one()
    assert note[:3] == (admin_id, admin_email, "alerta")
    assert "erros_por_servico" in note[3] and "pagamentos" in note[3]
    assert "limiar 10" in note[4]

    # Still above the threshold a minute later: no second event, no second notification.
    add_logs(
        fresh_engine,
        service="pagamentos",
        count=5,
        at=NOW + dt.timedelta(seconds=30),
        level="ERROR",
    )
    second = alerts.evaluate_rules(
        fresh_engine, clock=lambda: NOW + dt.timedelta(minutes=1), notifier=notifier
    )
    assert second.fired == [] and second.resolved == []
    assert events(fresh_engine) == [("erros_por_servico", "pagamentos", "DISPARADO")]
    assert len(alert_jobs(redis_client, admin_email)) == 1  # still only the first one

    # The window moves past the errors: resolved.
    later = NOW + dt.timedelta(minutes=10)
    third = alerts.evaluate_rules(fresh_engine, clock=lambda: later, notifier=notifier)
    assert third.resolved == [("erros_por_servico", "pagamentos")]
    assert events(fresh_engine) == [("erros_por_servico", "pagamentos", "RESOLVIDO")]
    with fresh_engine.connect() as conn:
        resolved_at = conn.execute(sa.text("SELECT resolvido_em FROM alerta_eventos")).scalar_one()
    assert resolved_at == later

    # A new burst fires a new event.
    add_logs(fresh_engine, service="pagamentos", count=12, at=later, level="ERROR")
    fourth = alerts.evaluate_rules(fresh_engine, clock=lambda: later + dt.timedelta(minutes=1))
    assert [f.key for f in fourth.fired] == ["pagamentos"]
    assert [e[2] for e in events(fresh_engine)] == ["RESOLVIDO", "DISPARADO"]
    for job in alert_jobs(redis_client, admin_email):
        redis_client.lrem(queue_key("default"), 0, job.encode())


def test_p95_rule_fires_per_service(fresh_engine: sa.Engine) -> None:
    at = NOW - dt.timedelta(minutes=1)
    add_logs(fresh_engine, service="rapido", count=100, at=at, tempo_ms=20)
    add_logs(fresh_engine, service="lento", count=90, at=at, tempo_ms=50)
    add_logs(fresh_engine, service="lento", count=10, at=at, tempo_ms=4000.5)
    report = alerts.evaluate_rules(fresh_engine, clock=lambda: NOW)
    fired = {(f.rule_name, f.key) for f in report.fired}
    assert fired == {("p95_tempo_processamento", "lento")}


def test_service_filter_disabled_rules_and_broken_rules(fresh_engine: sa.Engine) -> None:
    with fresh_engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE alerta_regras SET servico = 'api' WHERE nome = 'erros_por_servico'")
        )
        conn.execute(
            sa.text(
                "INSERT INTO alerta_regras (nome, consulta, limiar, janela_minutos)"
                " VALUES ('quebrada', 'SELECT 1/0 AS valor', 0, 5),"
                " ('sempre', 'SELECT 1 AS valor', 0, 5)"
            )
        )
    add_logs(fresh_engine, service="outro", count=20, at=NOW, level="ERROR")
    add_logs(fresh_engine, service="api", count=20, at=NOW, level="ERROR")
    report = alerts.evaluate_rules(fresh_engine, clock=lambda: NOW + dt.timedelta(seconds=1))
    assert {(f.rule_name, f.key) for f in report.fired} == {
        ("erros_por_servico", "api"),
        ("sempre", ""),
    }
    assert report.failed == ["quebrada"]
    with fresh_engine.connect() as conn:
        error = conn.execute(
            sa.text("SELECT ultimo_erro FROM alerta_regras WHERE nome = 'quebrada'")
        ).scalar_one()
    assert "division by zero" in error

    with fresh_engine.begin() as conn:
        conn.execute(sa.text("UPDATE alerta_regras SET habilitada = false WHERE nome = 'sempre'"))
    alerts.evaluate_rules(fresh_engine, clock=lambda: NOW + dt.timedelta(seconds=2))
    assert ("sempre", "", "RESOLVIDO") in events(fresh_engine)


def test_evaluation_is_skipped_while_another_process_evaluates(fresh_engine: sa.Engine) -> None:
    with fresh_engine.connect() as conn:
        conn.execute(sa.text("SELECT pg_advisory_lock(hashtext('peerseed.alert_evaluation'))"))
        conn.commit()
        assert alerts.evaluate_rules(fresh_engine, clock=lambda: NOW).skipped
        conn.execute(sa.text("SELECT pg_advisory_unlock_all()"))
        conn.commit()


def test_scheduler_runs_tasks_when_due_and_survives_failures() -> None:
    now = [0.0]
    runs: list[str] = []

    def boom() -> None:
        runs.append("boom")
        raise RuntimeError("falhou")

    scheduler = Scheduler(
        [PeriodicTask("a", 60, lambda: runs.append("a")), PeriodicTask("b", 10, boom)],
        clock=lambda: now[0],
    )
    assert scheduler.run_due() == ["a", "b"]
    now[0] = 9.9
    assert scheduler.run_due() == []
    now[0] = 10
    assert scheduler.run_due() == ["b"]
    now[0] = 60
    assert scheduler.run_due() == ["a", "b"]
    assert runs == ["a", "boom", "boom", "a", "boom"]


def test_worker_loop_runs_the_observability_tasks(
    fresh_db_url: str, redis_url: str, redis_client: redis.Redis, tmp_path: Path
) -> None:
    settings = Settings(
        database_url=fresh_db_url,
        redis_url=redis_url,
        data_dir=tmp_path,
        log_stdout=False,
        log_file=tmp_path / "w.jsonl",
    )
    services = Services.from_settings(settings)
    try:
        tasks = build_periodic_tasks(services)
        assert [t.name for t in tasks] == ["alertas.avaliar", "logs.manutencao"]
        assert [t.interval_s for t in tasks] == [60, 3600]
        stop = threading.Event()
        ran: list[str] = []

        def run_and_stop(task: PeriodicTask) -> PeriodicTask:
            def run() -> None:
                task.run()
                ran.append(task.name)
                if len(ran) == len(tasks):
                    stop.set()

            return PeriodicTask(task.name, task.interval_s, run)

        worker = threading.Thread(
            target=run_worker,
            args=(services,),
            kwargs={
                "handlers": {},
                "stop": stop,
                "queue": f"obs-{uuid.uuid4().hex[:6]}",
                "periodic": [run_and_stop(t) for t in tasks],
            },
        )
        worker.start()
        worker.join(30)
        assert not worker.is_alive()
        assert ran == ["alertas.avaliar", "logs.manutencao"]
        with services.engine.connect() as conn:
            evaluated = conn.execute(
                sa.text("SELECT count(*) FROM alerta_regras WHERE ultima_avaliacao_em IS NOT NULL")
            ).scalar_one()
        assert evaluated == 2
    finally:
        services.close()
