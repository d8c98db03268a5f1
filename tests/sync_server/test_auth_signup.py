"""Signup: validation, normalisation, wallet, ledger event, KYC pre-check, welcome notification."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sync_server.auth.ratelimit import RateLimits, Rule
from sync_server.jobs.queue import Job, Worker, queue_key
from sync_server.jobs.worker import build_handlers
from tests.sync_server.auth_support import new_cpf, signup_payload


def _queued(redis_client: redis.Redis) -> list[Job]:
    return [Job.decode(raw) for raw in redis_client.lrange(queue_key("default"), 0, -1)]


def _count(engine: sa.Engine, sql: str, **params: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(sql), params).scalar_one())


def test_signup_creates_user_wallet_ledger_event_and_welcome(
    client: TestClient, engine: sa.Engine, redis_client: redis.Redis, app: FastAPI
) -> None:
    cpf = new_cpf()
    body = signup_payload(
        "INVESTIDOR",
        cpf=f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}",
        email="  Maria.Silva." + uuid.uuid4().hex[:8] + "@Example.COM ",
        celular="(11) 9 1234-5678",
        nome_completo="  Maria   Aparecida da  Silva ",
    )
    response = client.post("/v1/auth/signup", json=body)
    assert response.status_code == 201, response.text
    data = response.json()
    assert data["email"] == body["email"].strip().lower()
    assert data["perfil"] == "INVESTIDOR"
    assert data["status_kyc"] == "PENDENTE"
    assert data["nome_completo"] == "Maria Aparecida da Silva"
    assert "cpf" not in data and "senha" not in data

    with engine.connect() as conn:
        user = conn.execute(
            sa.text("SELECT * FROM usuarios WHERE id = :id"), {"id": data["id"]}
        ).one()
        assert user.cpf == cpf
        assert user.celular == "+5511912345678"
        assert user.senha_hash.startswith("$argon2id$")
        assert body["senha"] not in user.senha_hash
        wallet = conn.execute(
            sa.text("SELECT * FROM carteiras WHERE usuario_id = :id"), {"id": data["id"]}
        ).one()
        assert str(wallet.id) == data["carteira_id"]
        assert wallet.saldo_usdc == 0 and wallet.saldo_bloqueado_usdc == 0
        event = conn.execute(
            sa.text(
                "SELECT * FROM ledger_eventos WHERE tipo_evento = 'USUARIO_CADASTRADO'"
                " AND ator_id = :id"
            ),
            {"id": data["id"]},
        ).one()
    assert event.ator_tipo == "INVESTIDOR"
    assert event.dados_evento == {
        "usuario_id": data["id"],
        "perfil": "INVESTIDOR",
        "carteira_id": data["carteira_id"],
        "status_kyc": "PENDENTE",
    }
    assert cpf not in str(event.dados_evento) and "Maria" not in str(event.dados_evento)

    [job] = _queued(redis_client)
    assert job.payload["tipo"] == "boas_vindas"
    assert job.payload["destino"] == data["email"]
    assert job.payload["usuario_id"] == data["id"]
    assert job.correlation_id == response.headers["X-Correlation-ID"]

    # The worker delivers it through the sandbox sender into `notificacoes`.
    worker = Worker(redis_client, build_handlers(app.state.services))
    assert worker.run_once(timeout_s=0.1)
    assert (
        _count(
            engine,
            "SELECT count(*) FROM notificacoes WHERE usuario_id = :id AND tipo = 'boas_vindas'",
            id=data["id"],
        )
        == 1
    )


def test_implausible_name_goes_to_manual_kyc(client: TestClient) -> None:
    response = client.post("/v1/auth/signup", json=signup_payload(nome_completo="Maria"))
    assert response.status_code == 201, response.text
    assert response.json()["status_kyc"] == "ANALISE_MANUAL"


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("cpf", "529.982.247-24", "dígitos verificadores"),
        ("cpf", "111.111.111-11", "todos os dígitos são iguais"),
        ("cpf", "1234", "11 dígitos"),
        ("email", "maria@", "E-mail inválido"),
        ("email", "sem-arroba.example.com", "E-mail inválido"),
        ("celular", "(20) 91234-5678", "DDD inexistente"),
        ("celular", "(11) 3123-4567", "9 dígitos"),
        ("celular", "(11) 81234-5678", "começam com 9"),
        ("perfil", "ADMIN", "AGRICULTOR e INVESTIDOR"),
        ("perfil", "AGENTE_CAMPO", "AGRICULTOR e INVESTIDOR"),
        ("perfil", "BANQUEIRO", "valor não permitido"),
        ("nome_completo", "  ", "nome completo"),
    ],
)
def test_bad_input_is_refused_precisely_and_changes_nothing(
    client: TestClient,
    engine: sa.Engine,
    redis_client: redis.Redis,
    field: str,
    value: str,
    fragment: str,
) -> None:
    body = signup_payload(**{field: value})
    response = client.post("/v1/auth/signup", json=body)
    assert response.status_code == 422, response.text
    data = response.json()
    assert data["code"] == "dados_invalidos"
    [detail] = data["details"]
    assert detail["campo"] == field
    assert fragment in detail["erro"]
    assert value.strip() == "" or value not in response.text
    assert _count(engine, "SELECT count(*) FROM usuarios WHERE email = :e", e=body["email"]) == 0
    assert _queued(redis_client) == []


@pytest.mark.parametrize(
    ("make_password", "code"),
    [
        (lambda b: "curta", "senha_curta"),
        (lambda b: b["cpf"] + "x", "senha_contem_cpf"),
        (lambda b: b["email"].split("@")[0] + "!2024", "senha_contem_email"),
        (lambda b: "corinthians2012", "senha_comum"),
    ],
)
def test_weak_password_is_refused(
    client: TestClient, engine: sa.Engine, make_password: Any, code: str
) -> None:
    body = signup_payload()
    body["senha"] = make_password(body)
    response = client.post("/v1/auth/signup", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code
    assert response.json()["details"] == [{"campo": "senha", "erro": response.json()["message"]}]
    assert _count(engine, "SELECT count(*) FROM usuarios WHERE email = :e", e=body["email"]) == 0


def test_duplicate_email_or_cpf_gives_one_generic_409(
    client: TestClient, engine: sa.Engine, redis_client: redis.Redis
) -> None:
    first = signup_payload()
    assert client.post("/v1/auth/signup", json=first).status_code == 201
    redis_client.delete(queue_key("default"))
    events_before = _count(engine, "SELECT count(*) FROM ledger_eventos")

    same_email = signup_payload(email=first["email"].upper())
    same_cpf = signup_payload(cpf=first["cpf"])
    answers = [client.post("/v1/auth/signup", json=b) for b in (same_email, same_cpf)]
    assert [a.status_code for a in answers] == [409, 409]
    assert answers[0].json() == answers[1].json()
    body = answers[0].json()
    assert body["code"] == "cadastro_indisponivel"
    for word in ("e-mail já", "CPF já", first["email"], first["cpf"]):
        assert word not in body["message"]

    assert _count(engine, "SELECT count(*) FROM usuarios WHERE cpf = :c", c=same_email["cpf"]) == 0
    assert (
        _count(engine, "SELECT count(*) FROM usuarios WHERE email = :e", e=same_cpf["email"]) == 0
    )
    assert _count(engine, "SELECT count(*) FROM ledger_eventos") == events_before
    assert _queued(redis_client) == []


def test_failed_signup_queues_no_welcome_and_leaves_nothing(
    client: TestClient, engine: sa.Engine, redis_client: redis.Redis, monkeypatch: Any
) -> None:
    def broken_ledger(*args: Any, **kwargs: Any) -> None:
        raise sa.exc.OperationalError("append", {}, Exception("conexão perdida"))

    monkeypatch.setattr("sync_server.auth.service.append_event", broken_ledger)
    body = signup_payload()
    response = client.post("/v1/auth/signup", json=body)
    assert response.status_code == 503
    assert _count(engine, "SELECT count(*) FROM usuarios WHERE email = :e", e=body["email"]) == 0
    assert _queued(redis_client) == []


def test_signup_is_rate_limited_per_ip(client: TestClient, app: FastAPI) -> None:
    app.state.rate_limits = RateLimits(signup_ip=Rule(2, 60))
    for _ in range(2):
        assert client.post("/v1/auth/signup", json=signup_payload()).status_code == 201
    refused = client.post("/v1/auth/signup", json=signup_payload())
    assert refused.status_code == 429
    assert refused.json()["code"] == "muitas_tentativas"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "cadastros" in refused.json()["message"]
