"""Queue a notification now; the worker delivers it through the configured sender.

The sandbox sender records every message in ``notificacoes`` and sends nothing out. Message bodies
(which may hold one-time codes) are never logged.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Protocol

import redis
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from shared_models.db import Notificacao
from shared_models.enums import CanalNotificacao, StatusNotificacao
from sync_server.jobs.queue import Handler, Job, enqueue
from sync_server.observability.logs import correlation_id_var

log = logging.getLogger(__name__)

JOB_KIND = "notificacao.enviar"


@dataclass(frozen=True)
class Message:
    canal: CanalNotificacao
    destino: str
    tipo: str
    assunto: str
    corpo: str
    usuario_id: uuid.UUID | None = None


class Sender(Protocol):
    def send(self, message: Message, *, job_id: str, correlation_id: str | None) -> None: ...


class SandboxSender:
    """Records messages in PostgreSQL instead of sending them; idempotent per job id."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def send(self, message: Message, *, job_id: str, correlation_id: str | None) -> None:
        stmt = (
            sa.dialects.postgresql.insert(Notificacao)
            .values(
                usuario_id=message.usuario_id,
                canal=message.canal,
                destino=message.destino,
                tipo=message.tipo,
                assunto=message.assunto,
                corpo=message.corpo,
                status=StatusNotificacao.ENVIADA,
                job_id=job_id,
                correlation_id=correlation_id,
            )
            .on_conflict_do_nothing(index_elements=["job_id"])
        )
        with self.sessions() as session, session.begin():
            session.execute(stmt)


def queue_notification(client: redis.Redis, message: Message) -> Job:
    job = enqueue(
        client,
        JOB_KIND,
        {
            "canal": message.canal.value,
            "destino": message.destino,
            "tipo": message.tipo,
            "assunto": message.assunto,
            "corpo": message.corpo,
            "usuario_id": str(message.usuario_id) if message.usuario_id else None,
        },
        correlation_id=correlation_id_var.get(),
    )
    log.info(
        "notificação enfileirada",
        extra={"payload": {"tipo": message.tipo, "canal": message.canal.value, "job_id": job.id}},
    )
    return job


def make_delivery_handler(sender: Sender) -> Handler:
    def deliver(job: Job) -> None:
        p = job.payload
        message = Message(
            canal=CanalNotificacao(p["canal"]),
            destino=p["destino"],
            tipo=p["tipo"],
            assunto=p["assunto"],
            corpo=p["corpo"],
            usuario_id=uuid.UUID(p["usuario_id"]) if p.get("usuario_id") else None,
        )
        sender.send(message, job_id=job.id, correlation_id=job.correlation_id)
        log.info(
            "notificação entregue (sandbox)",
            extra={
                "payload": {"tipo": message.tipo, "canal": message.canal.value, "job_id": job.id}
            },
        )

    return deliver
