"""SQL alert rules over the log table: validation, CRUD, evaluation and the firing state machine.

A rule is one ``SELECT`` (or ``WITH ... SELECT``) returning rows with a numeric column ``valor``
and optionally a column ``chave`` (e.g. the service); each row whose ``valor`` is above the
rule's ``limiar`` is *firing* for its key. The query may use the named parameters ``:inicio`` and
``:fim`` (the window: now minus ``janela_minutos``, and now), ``:servico`` (the rule's service
filter or NULL; write ``CAST(:servico AS text)``), ``:limiar`` and ``:janela_minutos``.

Rules run in a READ ONLY transaction with a statement timeout and a lock timeout, on a
connection of their own; a rule is also checked the same way when an admin saves it.

State machine, per (rule, key): *resolved* → *firing* when the value goes above the threshold
(one ``alerta_eventos`` row ``DISPARADO`` is recorded, logged and notified to every admin);
*firing* stays firing while it stays above (nothing new: no re-fire); *firing* → *resolved* when
it no longer is (the same row becomes ``RESOLVIDO``). A partial unique index makes "one open event
per (rule, key)" hold even with several workers.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import redis
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from shared_models.db.log_tables import (
    ESTADO_DISPARADO,
    ESTADO_RESOLVIDO,
    AlertaEvento,
    AlertaRegra,
)
from shared_models.db.tables import Usuario
from shared_models.enums import CanalNotificacao, Perfil

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
ALLOWED_PARAMETERS = frozenset({"inicio", "fim", "servico", "limiar", "janela_minutos"})
MAX_ROWS = 1000
_EVALUATION_LOCK = "peerseed.alert_evaluation"

# Words that have no business in a read-only alert query (READ ONLY refuses writes anyway; this
# gives a clear message early and closes the side doors READ ONLY leaves open).
_FORBIDDEN_WORDS = frozenset(
    {
        "insert",
        "update",
        "delete",
        "merge",
        "truncate",
        "drop",
        "alter",
        "create",
        "grant",
        "revoke",
        "copy",
        "call",
        "do",
        "into",
        "lock",
        "set",
        "reset",
        "listen",
        "notify",
        "vacuum",
        "pg_sleep",
        "pg_terminate_backend",
        "pg_cancel_backend",
        "pg_reload_conf",
        "pg_rotate_logfile",
        "pg_read_file",
        "pg_read_binary_file",
        "pg_ls_dir",
        "pg_stat_file",
        "pg_advisory_lock",
        "pg_advisory_xact_lock",
        "pg_notify",
        "set_config",
        "lo_import",
        "lo_export",
        "dblink",
        "dblink_exec",
        "txid_current",
        "nextval",
        "setval",
    }
)


class RuleInvalid(ValueError):
    """The rule's SQL is not acceptable; the message says why (in Portuguese, for the admin)."""


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


def _code_only(sql: str) -> str:
    """``sql`` with comments removed and string literals / quoted identifiers blanked."""
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        c = sql[i]
        nxt = sql[i + 1] if i + 1 < n else ""
        if c == "-" and nxt == "-":
            end = sql.find("\n", i)
            i = n if end < 0 else end
            out.append(" ")
        elif c == "/" and nxt == "*":
            depth, i = 1, i + 2
            while i < n and depth:
                if sql.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif sql.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
            if depth:
                raise RuleInvalid("comentário /* sem fechamento")
            out.append(" ")
        elif c == "'":
            backslash = i > 0 and sql[i - 1] in "eE" and (i < 2 or not sql[i - 2].isalnum())
            i += 1
            while True:
                if i >= n:
                    raise RuleInvalid("texto entre aspas simples sem fechamento")
                if backslash and sql[i] == "\\":
                    i += 2
                    continue
                if sql[i] == "'":
                    if i + 1 < n and sql[i + 1] == "'":
                        i += 2
                        continue
                    i += 1
                    break
                i += 1
            out.append("''")
        elif c == '"':
            end = sql.find('"', i + 1)
            while end >= 0 and end + 1 < n and sql[end + 1] == '"':
                end = sql.find('"', end + 2)
            if end < 0:
                raise RuleInvalid("identificador entre aspas duplas sem fechamento")
            out.append('"x"')
            i = end + 1
        elif c == "$" and (match := re.match(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$", sql[i:])):
            tag = match.group(0)
            end = sql.find(tag, i + len(tag))
            if end < 0:
                raise RuleInvalid("texto entre cifrões ($$) sem fechamento")
            out.append("''")
            i = end + len(tag)
        else:
            out.append(c)
            i += 1
    return "".join(out)


def parameters_of(sql: str) -> set[str]:
    """The ``:name`` parameters ``sql`` uses (``::type`` casts are not parameters)."""
    code = _code_only(sql)
    return set(re.findall(r"(?<![:\w]):([A-Za-z_]\w*)", code))


def check_rule_sql(sql: str) -> str:
    """Static checks: one SELECT, no forbidden words, known parameters. Returns ``sql`` trimmed."""
    text = sql.strip()
    if not text:
        raise RuleInvalid("a consulta está vazia")
    code = _code_only(text).strip()
    while code.endswith(";"):
        code = code[:-1].rstrip()
        text = text.rstrip().removesuffix(";").rstrip()
    if ";" in code:
        raise RuleInvalid("a consulta deve ser um único comando SELECT (sem ';' no meio)")
    words = re.findall(r"[A-Za-z_][A-Za-z0-9_]*", code)
    if not words or words[0].lower() not in {"select", "with"}:
        raise RuleInvalid("a consulta deve começar com SELECT ou WITH")
    bad = sorted({w.lower() for w in words} & _FORBIDDEN_WORDS)
    if bad:
        raise RuleInvalid(f"palavra não permitida em uma regra de alerta: {', '.join(bad)}")
    unknown = parameters_of(text) - ALLOWED_PARAMETERS
    if unknown:
        allowed = ", ".join(f":{p}" for p in sorted(ALLOWED_PARAMETERS))
        raise RuleInvalid(
            f"parâmetro desconhecido: {', '.join(':' + u for u in sorted(unknown))}"
            f" (permitidos: {allowed})"
        )
    return text


def _window_params(
    sql: str, *, now: dt.datetime, janela_minutos: int, servico: str | None, limiar: Decimal
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "inicio": now - dt.timedelta(minutes=janela_minutos),
        "fim": now,
        "servico": servico,
        "limiar": limiar,
        "janela_minutos": janela_minutos,
    }
    return {name: values[name] for name in parameters_of(sql)}


def run_read_only(
    engine: sa.Engine,
    sql: str,
    params: Mapping[str, Any],
    *,
    statement_timeout_ms: int,
    max_rows: int = MAX_ROWS,
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run ``sql`` in a READ ONLY transaction with timeouts; (column names, rows). Rolls back."""
    with engine.connect() as conn:
        tx = conn.begin()
        try:
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(statement_timeout_ms)}")
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(statement_timeout_ms)}")
            conn.exec_driver_sql("SET LOCAL idle_in_transaction_session_timeout = 60000")
            result = conn.execute(sa.text(sql), dict(params))
            columns = list(result.keys())
            rows = [tuple(r) for r in result.fetchmany(max_rows)]
        finally:
            tx.rollback()
    return columns, rows


def validate_rule(
    engine: sa.Engine,
    *,
    consulta: str,
    janela_minutos: int,
    servico: str | None,
    limiar: Decimal,
    statement_timeout_ms: int,
    clock: Clock,
) -> str:
    """Static checks, then a trial run (read only, with timeout) that must return ``valor``."""
    sql = check_rule_sql(consulta)
    params = _window_params(
        sql, now=clock(), janela_minutos=janela_minutos, servico=servico, limiar=limiar
    )
    try:
        columns, _ = run_read_only(
            engine,
            f"SELECT * FROM ({sql}) AS regra LIMIT 0",  # noqa: S608 - checked, run read only
            params,
            statement_timeout_ms=statement_timeout_ms,
        )
    except sa.exc.DBAPIError as exc:
        detail = str(getattr(exc, "orig", exc)).strip().splitlines()
        raise RuleInvalid(
            "o PostgreSQL recusou a consulta: " + (detail[0] if detail else type(exc).__name__)
        ) from None
    if "valor" not in columns:
        raise RuleInvalid("a consulta deve devolver uma coluna chamada 'valor'")
    return sql


# ---------------------------------------------------------------------------------------------
# CRUD (the caller's session and transaction; nothing here commits)
# ---------------------------------------------------------------------------------------------


def list_rules(session: Session) -> Sequence[AlertaRegra]:
    return session.scalars(sa.select(AlertaRegra).order_by(AlertaRegra.nome)).all()


def get_rule(session: Session, *, rule_id: uuid.UUID) -> AlertaRegra | None:
    return session.get(AlertaRegra, rule_id)


def create_rule(
    session: Session,
    *,
    nome: str,
    consulta: str,
    limiar: Decimal,
    janela_minutos: int,
    descricao: str = "",
    servico: str | None = None,
    habilitada: bool = True,
) -> AlertaRegra:
    """Insert a rule whose SQL was already validated; ``IntegrityError`` on a duplicate name."""
    rule = AlertaRegra(
        nome=nome,
        consulta=consulta,
        limiar=limiar,
        janela_minutos=janela_minutos,
        descricao=descricao,
        servico=servico,
        habilitada=habilitada,
        embutida=False,
    )
    session.add(rule)
    session.flush()
    return rule


def update_rule(session: Session, rule: AlertaRegra, changes: Mapping[str, Any]) -> AlertaRegra:
    for key, value in changes.items():
        setattr(rule, key, value)
    rule.data_atualizacao = sa.func.now()
    session.flush()
    session.refresh(rule)
    return rule


def delete_rule(session: Session, rule: AlertaRegra) -> None:
    session.delete(rule)
    session.flush()


# ---------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertFiring:
    event_id: int
    rule_id: uuid.UUID
    rule_name: str
    key: str
    value: Decimal
    threshold: Decimal
    window_minutes: int
    fired_at: dt.datetime
    message: str


@dataclass
class EvaluationReport:
    evaluated: int = 0
    fired: list[AlertFiring] = field(default_factory=list)
    resolved: list[tuple[str, str]] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: bool = False


Notifier = Callable[[AlertFiring], None]


def _decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _describe(rule: AlertaRegra, key: str, value: Decimal) -> str:
    subject = f" ({key})" if key else ""
    return (
        f"Alerta '{rule.nome}'{subject}: valor {value.normalize():f} acima do limiar"
        f" {rule.limiar.normalize():f} nos últimos {rule.janela_minutos} min."
    )


def evaluate_rules(
    engine: sa.Engine,
    *,
    clock: Clock,
    statement_timeout_ms: int = 5000,
    notifier: Notifier | None = None,
) -> EvaluationReport:
    """Evaluate every enabled rule once (one process at a time; others skip)."""
    report = EvaluationReport()
    with engine.connect() as lock_conn:
        got = lock_conn.execute(
            sa.text("SELECT pg_try_advisory_lock(hashtext(:k))"), {"k": _EVALUATION_LOCK}
        ).scalar_one()
        lock_conn.commit()
        if not got:
            report.skipped = True
            return report
        try:
            _evaluate_locked(engine, report, clock, statement_timeout_ms)
        finally:
            lock_conn.execute(
                sa.text("SELECT pg_advisory_unlock(hashtext(:k))"), {"k": _EVALUATION_LOCK}
            )
            lock_conn.commit()
    for firing in report.fired:
        log.warning(
            "alerta disparado",
            extra={
                "payload": {
                    "regra": firing.rule_name,
                    "chave": firing.key,
                    "valor": str(firing.value),
                    "limiar": str(firing.threshold),
                    "janela_minutos": firing.window_minutes,
                    "evento_id": firing.event_id,
                }
            },
        )
        if notifier is not None:
            try:
                notifier(firing)
            except Exception as exc:  # the event is recorded; the dashboard still shows it
                log.error(
                    "falha ao notificar os admins de um alerta",
                    extra={"payload": {"evento_id": firing.event_id, "erro": type(exc).__name__}},
                )
    for name, key in report.resolved:
        log.info("alerta resolvido", extra={"payload": {"regra": name, "chave": key}})
    return report


def _evaluate_locked(
    engine: sa.Engine, report: EvaluationReport, clock: Clock, statement_timeout_ms: int
) -> None:
    now = clock()
    with Session(engine) as session, session.begin():
        # A disabled rule fires nothing: close what it left open.
        disabled = session.execute(
            sa.update(AlertaEvento)
            .where(
                AlertaEvento.estado == ESTADO_DISPARADO,
                AlertaEvento.regra_id.in_(
                    sa.select(AlertaRegra.id).where(AlertaRegra.habilitada.is_(False))
                ),
            )
            .values(estado=ESTADO_RESOLVIDO, resolvido_em=now)
        )
        del disabled
        rules = session.scalars(
            sa.select(AlertaRegra)
            .where(AlertaRegra.habilitada.is_(True))
            .order_by(AlertaRegra.nome)
        ).all()
        session.expunge_all()

    for rule in rules:
        report.evaluated += 1
        now = clock()
        try:
            sql = check_rule_sql(rule.consulta)
            columns, rows = run_read_only(
                engine,
                sql,
                _window_params(
                    sql,
                    now=now,
                    janela_minutos=rule.janela_minutos,
                    servico=rule.servico,
                    limiar=rule.limiar,
                ),
                statement_timeout_ms=statement_timeout_ms,
            )
            if "valor" not in columns:
                raise RuleInvalid("a consulta não devolveu a coluna 'valor'")
        except (RuleInvalid, sa.exc.DBAPIError) as exc:
            detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
            error = detail[0] if detail else type(exc).__name__
            report.failed.append(rule.nome)
            with engine.begin() as conn:
                conn.execute(
                    sa.update(AlertaRegra)
                    .where(AlertaRegra.id == rule.id)
                    .values(ultima_avaliacao_em=now, ultimo_erro=error[:1000])
                )
            log.warning(
                "regra de alerta falhou",
                extra={"payload": {"regra": rule.nome, "erro": error[:300]}},
            )
            continue
        value_at = columns.index("valor")
        key_at = columns.index("chave") if "chave" in columns else None
        firing: dict[str, Decimal] = {}
        for row in rows:
            value = _decimal(row[value_at])
            if value is None or value <= rule.limiar:
                continue
            key = "" if key_at is None or row[key_at] is None else str(row[key_at])[:200]
            firing[key] = max(value, firing.get(key, value))
        _apply_state(engine, report, rule, firing, now)


def _apply_state(
    engine: sa.Engine,
    report: EvaluationReport,
    rule: AlertaRegra,
    firing: Mapping[str, Decimal],
    now: dt.datetime,
) -> None:
    with engine.begin() as conn:
        open_keys = set(
            conn.execute(
                sa.select(AlertaEvento.chave).where(
                    AlertaEvento.regra_id == rule.id, AlertaEvento.estado == ESTADO_DISPARADO
                )
            ).scalars()
        )
        for key, value in sorted(firing.items()):
            if key in open_keys:
                continue  # still firing: no re-fire
            message = _describe(rule, key, value)
            event_id = conn.execute(
                pg_insert(AlertaEvento)
                .values(
                    regra_id=rule.id,
                    chave=key,
                    estado=ESTADO_DISPARADO,
                    valor=value,
                    limiar=rule.limiar,
                    mensagem=message,
                    disparado_em=now,
                )
                .on_conflict_do_nothing(
                    index_elements=["regra_id", "chave"],
                    index_where=sa.text(f"estado = '{ESTADO_DISPARADO}'"),
                )
                .returning(AlertaEvento.id)
            ).scalar_one_or_none()
            if event_id is not None:
                report.fired.append(
                    AlertFiring(
                        event_id=event_id,
                        rule_id=rule.id,
                        rule_name=rule.nome,
                        key=key,
                        value=value,
                        threshold=rule.limiar,
                        window_minutes=rule.janela_minutos,
                        fired_at=now,
                        message=message,
                    )
                )
        gone = sorted(open_keys - set(firing))
        if gone:
            conn.execute(
                sa.update(AlertaEvento)
                .where(
                    AlertaEvento.regra_id == rule.id,
                    AlertaEvento.estado == ESTADO_DISPARADO,
                    AlertaEvento.chave.in_(gone),
                )
                .values(estado=ESTADO_RESOLVIDO, resolvido_em=now)
            )
            report.resolved.extend((rule.nome, key) for key in gone)
        conn.execute(
            sa.update(AlertaRegra)
            .where(AlertaRegra.id == rule.id)
            .values(ultima_avaliacao_em=now, ultimo_erro=None)
        )


# ---------------------------------------------------------------------------------------------
# Notification of admins
# ---------------------------------------------------------------------------------------------


def make_admin_notifier(engine: sa.Engine, client: redis.Redis) -> Notifier:
    """Queues one sandbox e-mail per admin for each new firing (delivered by the worker)."""
    from sync_server.notifications.service import Message, queue_notification

    def notify(firing: AlertFiring) -> None:
        with engine.connect() as conn:
            admins = conn.execute(
                sa.select(Usuario.id, Usuario.email).where(Usuario.perfil == Perfil.ADMIN)
            ).all()
        if not admins:
            log.warning(
                "alerta disparado sem admins para notificar",
                extra={"payload": {"evento_id": firing.event_id}},
            )
        for admin_id, email in admins:
            queue_notification(
                client,
                Message(
                    canal=CanalNotificacao.EMAIL,
                    destino=email,
                    tipo="alerta",
                    assunto=f"[Peerseed] Alerta disparado: {firing.rule_name}"
                    + (f" ({firing.key})" if firing.key else ""),
                    corpo=firing.message
                    + f"\nDisparado em {firing.fired_at.isoformat()} (evento {firing.event_id}).",
                    usuario_id=admin_id,
                ),
            )

    return notify
