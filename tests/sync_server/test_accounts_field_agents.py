"""Field agents: created by admins, onboard producers they alone can see; activation by SMS code."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from shared_models.enums import Perfil, StatusKyc, TipoConta
from sync_server.app import create_app
from sync_server.field_agents import service
from sync_server.jobs.queue import Worker
from sync_server.jobs.worker import build_handlers
from sync_server.settings import Settings
from tests.log_scan import register_secret
from tests.sync_server.accounts_support import (
    jobs_of,
    latest_code,
    new_bank_account,
    png_bytes,
    producer_payload,
    queued_jobs,
    row,
    scalar,
    upload,
    user_with_session,
)
from tests.sync_server.auth_support import Account, device, new_cpf, new_email, new_mobile

PRODUCERS = "/v1/agente/produtores"


@pytest.fixture
def agent(engine: sa.Engine, redis_client: redis.Redis) -> Account:
    return user_with_session(engine, redis_client, Perfil.AGENTE_CAMPO)


def _login(client: TestClient, identifier: str, password: str) -> int:
    return client.post(
        "/v1/auth/login",
        json={"identificador": identifier, "senha": password, "dispositivo": device()},
    ).status_code


def _password() -> str:
    password = f"Colheita-{uuid.uuid4().hex[:10]}"
    register_secret(password, "senha")
    return password


def test_admin_creates_an_agent_who_activates_by_sms_code(
    client: TestClient, engine: sa.Engine, redis_client: redis.Redis, app: FastAPI
) -> None:
    admin = user_with_session(engine, redis_client, Perfil.ADMIN)
    cpf, email = new_cpf(), new_email()
    created = client.post(
        "/v1/admin/agentes",
        json={
            "nome_completo": "Carlos Alberto Nunes",
            "email": email,
            "cpf": cpf,
            "celular": new_mobile(),
        },
        headers=admin.headers,
    )
    assert created.status_code == 201, created.text
    agent_id = created.json()["agente_id"]
    user = row(engine, "SELECT perfil, senha_hash FROM usuarios WHERE id = :u", u=agent_id)
    assert user.perfil == "AGENTE_CAMPO"
    assert not user.senha_hash.startswith("$argon2")
    assert scalar(engine, "SELECT count(*) FROM carteiras WHERE usuario_id = :u", u=agent_id) == 1
    # No usable password yet: login fails, whatever is typed.
    assert _login(client, email, "qualquer-coisa-123") == 401
    assert _login(client, email, user.senha_hash) == 401

    code = latest_code(redis_client, "ativacao_conta", agent_id)
    password = _password()
    activated = client.post("/v1/ativacao", json={"cpf": cpf, "codigo": code, "senha": password})
    assert activated.status_code == 200, activated.text
    assert _login(client, email, password) == 200
    assert _login(client, cpf, password) == 200
    # The code works once.
    reused = client.post("/v1/ativacao", json={"cpf": cpf, "codigo": code, "senha": _password()})
    assert reused.status_code == 400 and reused.json()["code"] == "ativacao_invalida"

    # The SMS is delivered by the worker through the sandbox sender.
    worker = Worker(redis_client, build_handlers(app.state.services))
    while worker.run_once(timeout_s=0.1):
        pass
    assert (
        scalar(
            engine,
            "SELECT count(*) FROM notificacoes WHERE usuario_id = :u AND tipo = 'ativacao_conta'",
            u=agent_id,
        )
        == 1
    )
    events = scalar(
        engine,
        "SELECT array_agg(tipo_evento ORDER BY id) FROM ledger_eventos"
        " WHERE dados_evento->>'usuario_id' = :u",
        u=agent_id,
    )
    assert events == ["AGENTE_CRIADO", "CONTA_ATIVADA"]


def test_agent_onboards_a_producer_who_activates_the_account(
    client: TestClient, engine: sa.Engine, redis_client: redis.Redis, agent: Account
) -> None:
    bank = new_bank_account()
    body = producer_payload(conta_bancaria=bank)
    response = client.post(PRODUCERS, json=body, headers=agent.headers)
    assert response.status_code == 201, response.text
    result = response.json()
    producer_id = result["produtor_id"]
    assert result["status_kyc"] == "PENDENTE"
    [sms] = jobs_of(redis_client, "ativacao_conta", producer_id)
    assert sms.correlation_id == response.headers["X-Correlation-ID"]
    assert sms.payload["destino"] == body["celular"]
    assert set(result) == {"produtor_id", "status_kyc", "conta_bancaria_id", "ativacao_expira_em"}

    user = row(engine, "SELECT * FROM usuarios WHERE id = :u", u=producer_id)
    assert user.perfil == "AGRICULTOR" and user.agente_id == agent.id
    assert user.email.endswith(".invalid")  # no e-mail given
    account = row(
        engine, "SELECT * FROM contas_bancarias WHERE id = :c", c=result["conta_bancaria_id"]
    )
    assert account.is_principal and account.criado_por == agent.id
    assert account.conta == bank["conta"] and account.status == "PENDENTE"
    event = row(
        engine,
        "SELECT * FROM ledger_eventos WHERE tipo_evento = 'PRODUTOR_CADASTRADO'"
        " AND dados_evento->>'usuario_id' = :u",
        u=producer_id,
    )
    assert event.ator_id == agent.id
    assert event.dados_evento == {"usuario_id": producer_id, "agente_id": str(agent.id)}

    # The agent uploads KYC documents on the producer's behalf.
    doc = upload(client, f"{PRODUCERS}/{producer_id}/documentos", agent, png_bytes(), tipo="RG")
    assert doc.status_code == 201, doc.text
    assert doc.json()["enviado_por"] == str(agent.id)
    assert doc.json()["usuario_id"] == producer_id

    detail = client.get(f"{PRODUCERS}/{producer_id}", headers=agent.headers)
    assert detail.status_code == 200
    assert detail.json()["ativado"] is False and detail.json()["email"] is None
    assert [d["id"] for d in detail.json()["documentos"]] == [doc.json()["id"]]
    assert bank["conta"] not in detail.text  # masked for the agent

    cpf = body["cpf"]
    password = _password()
    assert _login(client, cpf, password) == 401
    code = latest_code(redis_client, "ativacao_conta", producer_id)
    weak = client.post("/v1/ativacao", json={"cpf": cpf, "codigo": code, "senha": "123456"})
    assert weak.status_code == 422 and weak.json()["code"] == "senha_curta"
    ok = client.post("/v1/ativacao", json={"cpf": cpf, "codigo": code, "senha": password})
    assert ok.status_code == 200, ok.text
    assert _login(client, cpf, password) == 200

    # Once activated, the producer manages their bank accounts (with an OTP), not the agent.
    late = client.post(
        f"{PRODUCERS}/{producer_id}/contas-bancarias",
        json=new_bank_account(),
        headers=agent.headers,
    )
    assert late.status_code == 409 and late.json()["code"] == "produtor_ja_ativado"
    resend = client.post(f"{PRODUCERS}/{producer_id}/reenviar-ativacao", headers=agent.headers)
    assert resend.status_code == 409 and resend.json()["code"] == "conta_ja_ativada"


def test_an_agent_sees_only_the_producers_they_onboarded(
    client: TestClient, engine: sa.Engine, redis_client: redis.Redis, agent: Account
) -> None:
    other_agent = user_with_session(engine, redis_client, Perfil.AGENTE_CAMPO)
    mine = client.post(PRODUCERS, json=producer_payload(), headers=agent.headers).json()
    theirs = client.post(PRODUCERS, json=producer_payload(), headers=other_agent.headers).json()

    listed = client.get(PRODUCERS, headers=agent.headers).json()
    assert listed["total"] == 1
    assert [p["id"] for p in listed["itens"]] == [mine["produtor_id"]]

    target = theirs["produtor_id"]
    for method, url in [
        ("GET", f"{PRODUCERS}/{target}"),
        ("GET", f"{PRODUCERS}/{target}/documentos"),
        ("POST", f"{PRODUCERS}/{target}/reenviar-ativacao"),
    ]:
        response = client.request(method, url, headers=agent.headers)
        assert response.status_code == 403, (method, url)
        assert response.json()["code"] == "acesso_negado"
    refused = upload(client, f"{PRODUCERS}/{target}/documentos", agent, png_bytes())
    assert refused.status_code == 403
    assert (
        scalar(engine, "SELECT count(*) FROM documentos_kyc WHERE usuario_id = :u", u=target) == 0
    )
    bank = client.post(
        f"{PRODUCERS}/{target}/contas-bancarias", json=new_bank_account(), headers=agent.headers
    )
    assert bank.status_code == 403
    # A user that is not a producer of theirs (an investor) is forbidden too.
    investor = user_with_session(engine, redis_client, Perfil.INVESTIDOR)
    assert client.get(f"{PRODUCERS}/{investor.id}", headers=agent.headers).status_code == 403


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"cpf": "123.456.789-00"}, "cpf"),
        ({"cpf": "111.111.111-11"}, "cpf"),
        ({"celular": "+1 555 0100"}, "celular"),
        ({"email": "não é e-mail"}, "email"),
        ({"nome_completo": " J "}, "nome_completo"),
        ({"conta_bancaria": {**new_bank_account(), "banco": "998"}}, "conta_bancaria.banco"),
    ],
)
def test_bad_producer_data_is_refused_and_creates_nothing(
    client: TestClient,
    engine: sa.Engine,
    redis_client: redis.Redis,
    agent: Account,
    override: dict[str, object],
    field: str,
) -> None:
    body = producer_payload(**override)
    response = client.post(PRODUCERS, json=body, headers=agent.headers)
    assert response.status_code == 422, response.text
    [detail] = response.json()["details"]
    assert detail["campo"] == field and detail["erro"]
    assert scalar(engine, "SELECT count(*) FROM usuarios WHERE agente_id = :a", a=agent.id) == 0
    assert queued_jobs(redis_client) == []


def test_duplicate_cpf_gives_a_generic_409_and_sends_no_sms(
    client: TestClient, engine: sa.Engine, redis_client: redis.Redis, agent: Account
) -> None:
    existing = user_with_session(engine, redis_client, Perfil.INVESTIDOR)
    response = client.post(
        PRODUCERS, json=producer_payload(cpf=existing.cpf), headers=agent.headers
    )
    assert response.status_code == 409
    assert response.json()["code"] == "cadastro_duplicado"
    assert "CPF" not in response.json()["message"]
    email_taken = client.post(
        PRODUCERS, json=producer_payload(email=existing.email), headers=agent.headers
    )
    assert email_taken.status_code == 409
    assert scalar(engine, "SELECT count(*) FROM usuarios WHERE agente_id = :a", a=agent.id) == 0
    assert not [j for j in queued_jobs(redis_client) if j.payload["tipo"] == "ativacao_conta"]


def test_activation_tries_are_limited_and_codes_expire(
    client: TestClient, engine: sa.Engine, redis_client: redis.Redis, agent: Account
) -> None:
    body = producer_payload()
    producer_id = client.post(PRODUCERS, json=body, headers=agent.headers).json()["produtor_id"]
    code = latest_code(redis_client, "ativacao_conta", producer_id)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    password = _password()
    for _ in range(5):
        response = client.post(
            "/v1/ativacao", json={"cpf": body["cpf"], "codigo": wrong, "senha": password}
        )
        assert response.status_code == 400 and response.json()["code"] == "ativacao_invalida"
    blocked = client.post(
        "/v1/ativacao", json={"cpf": body["cpf"], "codigo": code, "senha": password}
    )
    assert blocked.status_code == 429 and blocked.json()["code"] == "ativacao_bloqueada"
    malformed = client.post(
        "/v1/ativacao", json={"cpf": body["cpf"], "codigo": "12ab", "senha": password}
    )
    assert malformed.status_code == 422 and malformed.json()["code"] == "ativacao_formato"

    # The agent sends a new code: the counter starts over.
    resent = client.post(f"{PRODUCERS}/{producer_id}/reenviar-ativacao", headers=agent.headers)
    assert resent.status_code == 200, resent.text
    new_code = latest_code(redis_client, "ativacao_conta", producer_id)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE ativacoes_conta SET data_criacao = now() - interval '4 days',"
                " expira_em = now() - interval '1 hour' WHERE usuario_id = :u"
            ),
            {"u": producer_id},
        )
    expired = client.post(
        "/v1/ativacao", json={"cpf": body["cpf"], "codigo": new_code, "senha": password}
    )
    assert expired.status_code == 400 and expired.json()["code"] == "ativacao_expirada"
    assert _login(client, body["cpf"], password) == 401
    unknown = client.post(
        "/v1/ativacao", json={"cpf": new_cpf(), "codigo": new_code, "senha": password}
    )
    assert unknown.status_code == 400 and unknown.json()["code"] == "ativacao_invalida"


def test_onboard_producer_service_for_the_sync_layer(
    db_session: Session, redis_client: redis.Redis, engine: sa.Engine
) -> None:
    agent = user_with_session(engine, redis_client, Perfil.AGENTE_CAMPO)
    bank = new_bank_account()
    cpf = new_cpf()
    result = service.onboard_producer(
        db_session,
        redis_client=redis_client,
        agent=service.AgentRef(user_id=agent.id),
        data=service.ProducerData(
            nome_completo="Antônia Pereira Lima",
            cpf=cpf,
            celular=new_mobile(),
            conta_bancaria=service.BankAccountData(
                banco="748", agencia="0101", conta=bank["conta"], tipo_conta=TipoConta.POUPANCA
            ),
        ),
    )
    assert result.status_kyc is StatusKyc.PENDENTE
    assert result.conta_bancaria_id is not None
    assert "codigo" not in repr(result)
    # The SMS leaves only once the transaction commits.
    assert jobs_of(redis_client, "ativacao_conta", result.produtor_id) == []
    db_session.commit()  # a savepoint of the test's transaction, rolled back afterwards
    assert jobs_of(redis_client, "ativacao_conta", result.produtor_id)

    # Only field agents onboard producers.
    investor = user_with_session(engine, redis_client, Perfil.INVESTIDOR)
    with pytest.raises(Exception, match="agentes de campo"):
        service.onboard_producer(
            db_session,
            redis_client=redis_client,
            agent=service.AgentRef(user_id=investor.id),
            data=service.ProducerData(
                nome_completo="Antônia Pereira Lima", cpf=new_cpf(), celular=new_mobile()
            ),
        )


def test_activation_with_redis_down_is_503_and_changes_nothing(
    client: TestClient,
    engine: sa.Engine,
    redis_client: redis.Redis,
    agent: Account,
    db_url: str,
    tmp_path: Path,
) -> None:
    body = producer_payload()
    producer_id = client.post(PRODUCERS, json=body, headers=agent.headers).json()["produtor_id"]
    code = latest_code(redis_client, "ativacao_conta", producer_id)
    settings = Settings(
        database_url=db_url,
        redis_url="redis://127.0.0.1:1/0",
        redis_timeout_s=0.2,
        data_dir=tmp_path / "data",
        log_file=tmp_path / "down.jsonl",
        log_stdout=False,
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as down:
        response = down.post(
            "/v1/ativacao", json={"cpf": body["cpf"], "codigo": code, "senha": _password()}
        )
    assert response.status_code == 503
    assert response.json()["code"] == "servico_indisponivel"
    hash_ = scalar(engine, "SELECT senha_hash FROM usuarios WHERE id = :u", u=producer_id)
    assert hash_.startswith("!")
    assert scalar(
        engine, "SELECT count(*) FROM ativacoes_conta WHERE usuario_id = :u", u=producer_id
    )
