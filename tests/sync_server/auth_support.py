"""Helpers for tests that need accounts: fresh identities, users in any profile, sessions.

The session-shared test database keeps committed rows across tests, so every identity is unique
(random CPF, e-mail, mobile). Every password, CPF and token made here is registered with the log
scanner (tests/log_scan.py).
"""

from __future__ import annotations

import random
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

import redis
import sqlalchemy as sa
from fastapi.testclient import TestClient

from shared_models.cpf import generate_cpf
from shared_models.enums import Perfil
from sync_server.auth import sessions
from sync_server.auth.passwords import hash_password
from tests.log_scan import register_secret

_rng = random.Random(secrets.randbits(64))


def new_password() -> str:
    password = f"Ps-{secrets.token_urlsafe(12)}"
    register_secret(password, "senha")
    return password


def new_cpf() -> str:
    cpf = generate_cpf(_rng)
    register_secret(cpf, "cpf")
    return cpf


def new_mobile() -> str:
    return f"+55659{_rng.randrange(10**8):08d}"


def new_email() -> str:
    return f"u{uuid.uuid4().hex[:16]}@example.com"


def signup_payload(perfil: str = "AGRICULTOR", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "nome_completo": "Maria Aparecida da Silva",
        "email": new_email(),
        "cpf": new_cpf(),
        "celular": new_mobile(),
        "senha": new_password(),
        "perfil": perfil,
    }
    body.update(overrides)
    return body


def device(name: str = "Notebook") -> dict[str, str]:
    return {"id": str(uuid.uuid4()), "nome": name}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Account:
    id: uuid.UUID
    perfil: Perfil
    email: str
    cpf: str
    password: str
    celular: str
    tokens: list[str] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        return bearer(self.tokens[-1])


def signup(client: TestClient, perfil: str = "AGRICULTOR", **overrides: Any) -> Account:
    body = signup_payload(perfil, **overrides)
    response = client.post("/v1/auth/signup", json=body)
    assert response.status_code == 201, response.text
    data = response.json()
    return Account(
        id=uuid.UUID(data["id"]),
        perfil=Perfil(data["perfil"]),
        email=data["email"],
        cpf=body["cpf"],
        password=body["senha"],
        celular=body["celular"],
    )


def login(
    client: TestClient, account: Account, *, identifier: str | None = None, name: str = "PC"
) -> str:
    response = client.post(
        "/v1/auth/login",
        json={
            "identificador": identifier or account.email,
            "senha": account.password,
            "dispositivo": device(name),
        },
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    register_secret(token, "token")
    account.tokens.append(token)
    return token


_HASH_CACHE: dict[str, str] = {}


def create_user(
    engine: sa.Engine, perfil: Perfil, *, agente_id: uuid.UUID | None = None
) -> Account:
    """A committed user in any profile (admins and agents cannot sign up), with a wallet."""
    password = new_password()
    cpf = new_cpf()
    email = new_email()
    celular = new_mobile()
    with engine.begin() as conn:
        user_id = conn.execute(
            sa.text(
                "INSERT INTO usuarios (nome_completo, email, senha_hash, cpf, celular, perfil)"
                " VALUES ('Pessoa de Teste', :email, :hash, :cpf, :cel, :perfil) RETURNING id"
            ),
            {
                "email": email,
                "hash": hash_password(password),
                "cpf": cpf,
                "cel": celular,
                "perfil": perfil.value,
            },
        ).scalar_one()
        if agente_id is not None:
            conn.execute(
                sa.text("UPDATE usuarios SET agente_id = :a WHERE id = :u"),
                {"a": agente_id, "u": user_id},
            )
        conn.execute(sa.text("INSERT INTO carteiras (usuario_id) VALUES (:u)"), {"u": user_id})
    return Account(
        id=user_id, perfil=perfil, email=email, cpf=cpf, password=password, celular=celular
    )


def open_session(client: redis.Redis, account: Account) -> str:
    """A session straight in Redis (no password check): fast setup for authorization tests."""
    token, _ = sessions.create_session(
        client,
        user_id=account.id,
        perfil=account.perfil,
        device_id=uuid.uuid4(),
        device_name="teste",
        ip="127.0.0.1",
        user_agent="pytest",
    )
    register_secret(token, "token")
    account.tokens.append(token)
    return token
