"""Push: intents applied exactly once, refusals stored and never blocking, transient = 503."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import BaseModel

from shared_models.enums import Perfil
from shared_models.sync import mutations
from shared_models.sync.protocol import PROTOCOL_HEADER, PushRequest
from sync_server.auth.deps import Principal
from sync_server.db import make_engine
from sync_server.services import Services
from sync_server.settings import Settings
from sync_server.sync import push as push_service
from sync_server.sync.intents import IntentContext, build_handlers
from tests.sync_server.auth_support import Account, create_user, open_session
from tests.sync_server.sync_support import (
    app_client,
    b64,
    full_pull,
    intent,
    png,
    producer_args,
    sync_headers,
)

AGENT_KEY = (mutations.PRODUTOR_REGISTRAR.name, mutations.PRODUTOR_REGISTRAR.version)


@pytest.fixture
def fresh_engine(fresh_db_url: str) -> Iterator[sa.Engine]:
    eng = make_engine(fresh_db_url, pool_size=4, max_overflow=4)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def sync_client(
    fresh_db_url: str, redis_url: str, redis_client: redis.Redis, tmp_path: Path
) -> Iterator[TestClient]:
    with app_client(fresh_db_url, redis_url, tmp_path) as c:
        yield c


@pytest.fixture
def agent(fresh_engine: sa.Engine, redis_client: redis.Redis) -> Account:
    account = create_user(fresh_engine, Perfil.AGENTE_CAMPO)
    open_session(redis_client, account)
    return account


def push(
    client: TestClient, account: Account, intents: list[dict[str, Any]], device: uuid.UUID
) -> Any:
    return client.post(
        "/v1/sync/push",
        json={"device_id": str(device), "intents": intents},
        headers=sync_headers(account),
    )


def _count(engine: sa.Engine, sql: str, **params: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text(sql), params).scalar_one())


def test_offline_onboarding_is_applied_exactly_once(
    fresh_engine: sa.Engine, sync_client: TestClient, agent: Account
) -> None:
    device = uuid.uuid4()
    args = producer_args()
    first = intent(1, args)
    before = full_pull(sync_client, agent)  # the agent had synced before going offline
    response = push(sync_client, agent, [first], device)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["next_seq"] == 2
    (result,) = body["results"]
    assert result["status"] == "applied", result
    producer_id = result["result"]["produtor_id"]
    assert len(result["result"]["documentos"]) == 2
    assert result["result"]["conta_bancaria_id"]

    # The response was lost: the client sends the same intent again.
    again = push(sync_client, agent, [first], device)
    assert again.status_code == 200
    assert again.json()["results"] == body["results"]
    assert _count(fresh_engine, "SELECT count(*) FROM usuarios WHERE cpf = :c", c=args["cpf"]) == 1
    assert (
        _count(
            fresh_engine, "SELECT count(*) FROM documentos_kyc WHERE usuario_id = :u", u=producer_id
        )
        == 2
    )

    # The agent sees the producer, its documents (metadata) and the result after a pull.
    replica = full_pull(sync_client, agent)
    producer = replica.row("usuarios", producer_id)
    assert producer["agente_id"] == str(agent.id)
    assert producer["ativado"] is False
    assert len(replica.ids("documentos_kyc")) == 2
    assert replica.intent_results[first["intent_id"]].status == "applied"
    assert replica.intent_results[first["intent_id"]].result == result["result"]
    before.pull_all(sync_client, agent)  # the same through the change log
    assert before.intent_results == replica.intent_results
    assert before.tables == replica.tables


def test_cpf_already_registered_is_rejected_and_the_agent_resubmits(
    fresh_engine: sa.Engine, sync_client: TestClient, agent: Account
) -> None:
    device = uuid.uuid4()
    existing = create_user(fresh_engine, Perfil.INVESTIDOR)
    duplicate = intent(1, producer_args(cpf=existing.cpf))
    fixed = intent(2, producer_args())
    response = push(sync_client, agent, [duplicate, fixed], device)
    assert response.status_code == 200, response.text
    rejected, applied = response.json()["results"]
    assert rejected["status"] == "rejected"
    assert rejected["code"] == "cadastro_duplicado"
    assert "CPF" in rejected["message"]
    assert applied["status"] == "applied"  # a refusal never blocks later intents
    assert response.json()["next_seq"] == 3
    # Nothing of the refused intent was kept (no user, no document, no bank account).
    assert _count(fresh_engine, "SELECT count(*) FROM usuarios WHERE cpf = :c", c=existing.cpf) == 1
    assert _count(fresh_engine, "SELECT count(*) FROM ativacoes_conta") == 1

    replica = full_pull(sync_client, agent)
    assert replica.intent_results[duplicate["intent_id"]].code == "cadastro_duplicado"


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (producer_args(cpf="111.111.111-11"), "cpf"),
        (producer_args(celular="123"), "celular"),
        (
            producer_args(documentos=[{"tipo": "RG", "conteudo_base64": b64(b"MZ\x90\x00exe")}]),
            "documentos",
        ),
        (
            producer_args(documentos=[{"tipo": "RG", "conteudo_base64": "não é base64!"}]),
            "documentos",
        ),
        (producer_args(extra="x"), "extra"),
    ],
)
def test_invalid_arguments_are_rejected_with_the_fields(
    sync_client: TestClient, agent: Account, args: dict[str, Any], field: str
) -> None:
    response = push(sync_client, agent, [intent(1, args)], uuid.uuid4())
    assert response.status_code == 200, response.text
    (result,) = response.json()["results"]
    assert result["status"] == "rejected"
    assert result["code"] == "dados_invalidos"
    assert field in result["message"]
    assert any(d["campo"].startswith(field) for d in result["result"]["detalhes"])


def test_unknown_intents_and_wrong_profiles_are_rejected(
    fresh_engine: sa.Engine, sync_client: TestClient, agent: Account, redis_client: redis.Redis
) -> None:
    device = uuid.uuid4()
    response = push(sync_client, agent, [intent(1, {}, name="cpr.inventada")], device)
    assert response.json()["results"][0]["code"] == "intencao_desconhecida"
    response = push(sync_client, agent, [intent(2, version=99)], device)
    assert response.json()["results"][0]["code"] == "intencao_desconhecida"

    farmer = create_user(fresh_engine, Perfil.AGRICULTOR)
    open_session(redis_client, farmer)
    response = push(sync_client, farmer, [intent(1)], uuid.uuid4())
    assert response.json()["results"][0]["code"] == "acesso_negado"
    assert response.json()["results"][0]["status"] == "rejected"


def test_a_gap_is_refused_with_the_expected_seq(sync_client: TestClient, agent: Account) -> None:
    device = uuid.uuid4()
    response = push(sync_client, agent, [intent(3)], device)
    assert response.status_code == 409
    assert response.json()["code"] == "sequencia_com_lacuna"
    assert response.json()["next_seq"] == 1
    assert push(sync_client, agent, [intent(1)], device).status_code == 200
    response = push(sync_client, agent, [intent(1), intent(3)], device)
    assert response.status_code == 422
    assert response.json()["code"] == "sequencia_invalida"


def test_a_seq_replayed_with_other_content_is_a_conflict(
    fresh_engine: sa.Engine, sync_client: TestClient, agent: Account
) -> None:
    device = uuid.uuid4()
    first = intent(1)
    assert push(sync_client, agent, [first], device).json()["results"][0]["status"] == "applied"
    other = {**first, "args": producer_args()}
    response = push(sync_client, agent, [other], device)
    assert response.status_code == 409
    assert response.json()["code"] == "intencao_conflitante"
    # An intent id already used cannot come back under another seq.
    reused = {**intent(2), "intent_id": first["intent_id"]}
    response = push(sync_client, agent, [reused], device)
    assert response.status_code == 409
    assert response.json()["code"] == "intencao_duplicada"
    assert _count(fresh_engine, "SELECT count(*) FROM sync_intent_results") == 1


def test_a_device_belongs_to_one_user(
    fresh_engine: sa.Engine, sync_client: TestClient, agent: Account, redis_client: redis.Redis
) -> None:
    device = uuid.uuid4()
    assert push(sync_client, agent, [intent(1)], device).status_code == 200
    other = create_user(fresh_engine, Perfil.AGENTE_CAMPO)
    open_session(redis_client, other)
    response = push(sync_client, other, [intent(1)], device)
    assert response.status_code == 403
    assert response.json()["code"] == "dispositivo_de_outro_usuario"


@pytest.mark.parametrize(
    "failure",
    [
        sa.exc.OperationalError("INSERT", {}, Exception("server closed the connection")),
        redis.exceptions.ConnectionError("Redis caiu"),
    ],
    ids=["postgres", "redis"],
)
def test_a_transient_failure_answers_503_and_stores_nothing(
    fresh_engine: sa.Engine, sync_client: TestClient, agent: Account, failure: Exception
) -> None:
    calls = []

    def flaky(ctx: IntentContext, args: BaseModel) -> dict[str, Any]:
        calls.append(ctx.seq)
        raise failure

    device = uuid.uuid4()
    first = intent(1)
    sync_client.app.state.sync_intent_handlers = build_handlers({AGENT_KEY: flaky})  # type: ignore[attr-defined]
    response = push(sync_client, agent, [first], device)
    assert response.status_code == 503
    assert response.json()["code"] == "servico_indisponivel"
    assert _count(fresh_engine, "SELECT count(*) FROM sync_intent_results") == 0
    assert (
        _count(fresh_engine, "SELECT count(*) FROM usuarios WHERE agente_id = :a", a=agent.id) == 0
    )

    sync_client.app.state.sync_intent_handlers = None  # type: ignore[attr-defined]
    response = push(sync_client, agent, [first], device)  # the client retries the same seq
    assert response.json()["results"][0]["status"] == "applied"
    assert calls == [1]


def test_an_effect_is_undone_when_a_later_step_refuses(
    fresh_engine: sa.Engine, sync_client: TestClient, agent: Account
) -> None:
    # The producer is created, then a document is refused by the service: nothing stays.
    def refuse_after_effects(ctx: IntentContext, args: BaseModel) -> dict[str, Any]:
        from sync_server.sync.intents import registrar_produtor

        registrar_produtor(ctx, args)
        from sync_server.errors import ApiError

        raise ApiError(409, "limite_documentos", "Limite de documentos atingido.")

    sync_client.app.state.sync_intent_handlers = build_handlers({AGENT_KEY: refuse_after_effects})  # type: ignore[attr-defined]
    args = producer_args()
    response = push(sync_client, agent, [intent(1, args)], uuid.uuid4())
    assert response.json()["results"][0]["code"] == "limite_documentos"
    assert _count(fresh_engine, "SELECT count(*) FROM usuarios WHERE cpf = :c", c=args["cpf"]) == 0
    assert _count(fresh_engine, "SELECT count(*) FROM ativacoes_conta") == 0


def test_concurrent_pushes_of_the_same_seq_apply_it_once(
    fresh_db_url: str, fresh_engine: sa.Engine, redis_url: str, agent: Account, tmp_path: Path
) -> None:
    services = Services.from_settings(
        Settings(database_url=fresh_db_url, redis_url=redis_url, data_dir=tmp_path)
    )
    try:
        ctx = push_service.PushContext(
            services=services,
            principal=Principal(agent.id, Perfil.AGENTE_CAMPO, "s", None),
            handlers=build_handlers(),
            catalogue=mutations.CATALOGUE,
        )
        request = PushRequest.model_validate(
            {"device_id": str(uuid.uuid4()), "intents": [intent(1)]}
        )
        results: list[Any] = []
        barrier = threading.Barrier(4)

        def run() -> None:
            barrier.wait()
            results.append(push_service.push(ctx, request).results[0])

        threads = [threading.Thread(target=run) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        services.close()
    assert len(results) == 4
    assert all(r.model_dump() == results[0].model_dump() for r in results)
    assert (
        _count(fresh_engine, "SELECT count(*) FROM usuarios WHERE agente_id = :a", a=agent.id) == 1
    )


def test_large_documents_fit_in_a_push(
    fresh_engine: sa.Engine, sync_client: TestClient, agent: Account
) -> None:
    photo = png(b"\x00" * (2 * 1024 * 1024))  # a 2 MiB photo: far above the global body limit
    args = producer_args(
        documentos=[
            {"tipo": "RG", "conteudo_base64": b64(photo)},
            {"tipo": "CNH", "conteudo_base64": b64(png(b"cnh"))},
        ]
    )
    response = push(sync_client, agent, [intent(1, args)], uuid.uuid4())
    assert response.status_code == 200, response.text[:300]
    assert response.json()["results"][0]["status"] == "applied"
    assert _count(fresh_engine, "SELECT max(tamanho_bytes) FROM documentos_kyc") == len(photo)


def test_protocol_version_is_checked(sync_client: TestClient, agent: Account) -> None:
    info = sync_client.get("/v1/sync/info")
    assert info.status_code == 200
    assert info.json()["min_version"] <= info.json()["max_version"]
    for version in (None, "0", "999", "abc"):
        headers = {**agent.headers}
        if version is not None:
            headers[PROTOCOL_HEADER] = version
        for response in (
            sync_client.get("/v1/sync/pull", headers=headers),
            sync_client.post(
                "/v1/sync/push",
                json={"device_id": str(uuid.uuid4()), "intents": [intent(1)]},
                headers=headers,
            ),
        ):
            assert response.status_code == 426, response.text
            assert response.json()["code"] == "versao_protocolo_nao_suportada"
            assert response.json()["details"]["max_version"] == info.json()["max_version"]
