"""Helpers for the account-domain tests (KYC, user data, field agents, LGPD).

Every CPF, account number, OTP and activation code made here is registered with the log scanner.
"""

from __future__ import annotations

import random
import re
import secrets
import struct
import uuid
import zlib
from typing import Any

import redis
import sqlalchemy as sa
from fastapi.testclient import TestClient

from shared_models.enums import Perfil
from sync_server.auth.otp import OtpPurpose, request_otp
from sync_server.jobs.queue import Job, queue_key
from tests.log_scan import register_secret
from tests.sync_server.auth_support import Account, create_user, new_cpf, new_mobile, open_session

_rng = random.Random(secrets.randbits(64))


def png_bytes(seed: int | None = None) -> bytes:
    """A real, tiny PNG (1x1 pixel) whose pixel varies with ``seed`` (distinct SHA-256)."""
    value = _rng.randrange(256) if seed is None else seed % 256

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    raw = zlib.compress(bytes([0, value]))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"tEXt", b"seed\x00" + secrets.token_hex(8).encode())
        + chunk(b"IDAT", raw)
        + chunk(b"IEND", b"")
    )


def jpeg_bytes() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + secrets.token_bytes(64) + b"\xff\xd9"


def pdf_bytes(body: bytes = b"") -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        + body
        + secrets.token_hex(8).encode()
        + b"\n%%EOF\n"
    )


def upload(
    client: TestClient,
    url: str,
    account: Account,
    content: bytes,
    *,
    tipo: str = "RG",
    filename: str = "documento.png",
    content_type: str = "image/png",
) -> Any:
    return client.post(
        url,
        headers=account.headers,
        data={"tipo": tipo},
        files={"arquivo": (filename, content, content_type)},
    )


def new_bank_account() -> dict[str, str]:
    conta = f"{_rng.randrange(10**5, 10**8)}-{_rng.randrange(10)}"
    agencia = f"{_rng.randrange(10**4):04d}"
    register_secret(conta, "conta bancária")
    return {"banco": "001", "agencia": agencia, "conta": conta, "tipo_conta": "CORRENTE"}


def user_with_session(
    engine: sa.Engine,
    redis_client: redis.Redis,
    perfil: Perfil,
    *,
    agente_id: uuid.UUID | None = None,
) -> Account:
    account = create_user(engine, perfil, agente_id=agente_id)
    register_secret(account.cpf, "cpf")
    open_session(redis_client, account)
    return account


def queued_jobs(redis_client: redis.Redis) -> list[Job]:
    return [Job.decode(raw) for raw in redis_client.lrange(queue_key("default"), 0, -1)]


def jobs_of(redis_client: redis.Redis, tipo: str, user_id: uuid.UUID | str) -> list[Job]:
    return [
        job
        for job in queued_jobs(redis_client)
        if job.payload["tipo"] == tipo and job.payload["usuario_id"] == str(user_id)
    ]


def code_in(job: Job) -> str:
    match = re.search(r"\b(\d{6})\b", job.payload["corpo"])
    assert match, "no 6-digit code in the message"
    code = match.group(1)
    register_secret(code, "código")
    return code


def latest_code(redis_client: redis.Redis, tipo: str, user_id: uuid.UUID | str) -> str:
    jobs = jobs_of(redis_client, tipo, user_id)
    assert jobs, f"no {tipo} message queued for the user"
    return code_in(jobs[0])  # LPUSH: newest first


def otp_for(redis_client: redis.Redis, account: Account) -> str:
    """Issue a bank-account OTP for ``account`` (as POST /v1/auth/otp does) and read it."""
    request_otp(
        redis_client,
        user_id=account.id,
        purpose=OtpPurpose.CONTA_BANCARIA,
        mobile=account.celular,
    )
    return latest_code(redis_client, "otp", account.id)


def producer_payload(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "nome_completo": "José Ribamar dos Santos",
        "cpf": new_cpf(),
        "celular": new_mobile(),
    }
    body.update(overrides)
    return body


def scalar(engine: sa.Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar()


def row(engine: sa.Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).one()
