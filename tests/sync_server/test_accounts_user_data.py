"""User data (RF-USR-002): profile, bank accounts with one principal, OTP, masking."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from fastapi.testclient import TestClient

from shared_models.enums import Perfil
from tests.sync_server.accounts_support import (
    jobs_of,
    new_bank_account,
    otp_for,
    scalar,
    user_with_session,
)
from tests.sync_server.auth_support import Account, new_mobile

ACCOUNTS = "/v1/me/contas-bancarias"


@pytest.fixture
def investor(engine: sa.Engine, redis_client: redis.Redis) -> Account:
    return user_with_session(engine, redis_client, Perfil.INVESTIDOR)


def _count_accounts(engine: sa.Engine, user: Account) -> int:
    return int(
        scalar(engine, "SELECT count(*) FROM contas_bancarias WHERE usuario_id = :u", u=user.id)
    )


def _principals(engine: sa.Engine, user: Account) -> list[str]:
    with engine.connect() as conn:
        return [
            str(r[0])
            for r in conn.execute(
                sa.text("SELECT id FROM contas_bancarias WHERE usuario_id = :u AND is_principal"),
                {"u": user.id},
            )
        ]


def _add(
    client: TestClient, redis_client: redis.Redis, user: Account, **extra: Any
) -> dict[str, Any]:
    body = {**new_bank_account(), **extra, "codigo_otp": otp_for(redis_client, user)}
    response = client.post(ACCOUNTS, json=body, headers=user.headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    data["_sent"] = body
    return data


def test_profile_view_and_update(client: TestClient, engine: sa.Engine, investor: Account) -> None:
    me = client.get("/v1/me", headers=investor.headers)
    assert me.status_code == 200
    body = me.json()
    assert body["id"] == str(investor.id)
    assert body["cpf_mascarado"] == f"{investor.cpf[:3]}.***.***-{investor.cpf[9:]}"
    assert investor.cpf not in me.text
    assert "senha" not in me.text and body["ativado"] is True

    renamed = client.patch(
        "/v1/me", json={"nome_completo": "  Ana   Maria  Souza "}, headers=investor.headers
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["nome_completo"] == "Ana Maria Souza"

    # E-mail and CPF cannot be changed here.
    for field, value in (("email", "novo@example.com"), ("cpf", "52998224725")):
        refused = client.patch("/v1/me", json={field: value}, headers=investor.headers)
        assert refused.status_code == 422
        assert refused.json()["details"] == [{"campo": field, "erro": "campo não permitido"}]

    bad = client.patch("/v1/me", json={"celular": "12345"}, headers=investor.headers)
    assert bad.status_code == 422
    assert bad.json()["details"][0]["campo"] == "celular"
    assert "Celular" in bad.json()["details"][0]["erro"]

    mobile = new_mobile()
    no_password = client.patch("/v1/me", json={"celular": mobile}, headers=investor.headers)
    assert no_password.status_code == 422
    assert no_password.json()["code"] == "senha_atual_obrigatoria"
    wrong = client.patch(
        "/v1/me", json={"celular": mobile, "senha_atual": "errada-123456"}, headers=investor.headers
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "senha_atual_incorreta"
    assert scalar(engine, "SELECT celular FROM usuarios WHERE id = :u", u=investor.id) != mobile
    ok = client.patch(
        "/v1/me",
        json={"celular": mobile, "senha_atual": investor.password},
        headers=investor.headers,
    )
    assert ok.status_code == 200 and ok.json()["celular"] == mobile


def test_bank_account_needs_an_otp_and_is_masked_except_in_the_detail_view(
    client: TestClient, engine: sa.Engine, redis_client: redis.Redis, investor: Account
) -> None:
    data = new_bank_account()
    no_code = client.post(ACCOUNTS, json={**data, "codigo_otp": "123456"}, headers=investor.headers)
    assert no_code.status_code == 400 and no_code.json()["code"] == "otp_inexistente"
    assert _count_accounts(engine, investor) == 0

    code = otp_for(redis_client, investor)
    created = client.post(ACCOUNTS, json={**data, "codigo_otp": code}, headers=investor.headers)
    assert created.status_code == 201, created.text
    account = created.json()
    assert account["is_principal"] is True  # the first account
    assert account["status"] == "PENDENTE"
    assert account["banco_nome"] == "Banco do Brasil"
    number = data["conta"]
    assert account["conta_mascarada"] == "*" * (len(number) - 3) + number[-3:]
    assert number not in created.text and data["agencia"] not in created.text

    reused = client.post(
        ACCOUNTS, json={**new_bank_account(), "codigo_otp": code}, headers=investor.headers
    )
    assert reused.status_code == 400 and reused.json()["code"] == "otp_ja_utilizado"
    assert _count_accounts(engine, investor) == 1

    listed = client.get(ACCOUNTS, headers=investor.headers)
    assert listed.status_code == 200 and number not in listed.text
    detail = client.get(f"{ACCOUNTS}/{account['id']}", headers=investor.headers)
    assert detail.status_code == 200
    assert detail.json()["conta"] == number and detail.json()["agencia"] == data["agencia"]
    assert detail.headers["cache-control"] == "no-store"

    # Someone else cannot see it at all.
    other = user_with_session(engine, redis_client, Perfil.INVESTIDOR)
    assert client.get(f"{ACCOUNTS}/{account['id']}", headers=other.headers).status_code == 404
    assert client.get(ACCOUNTS, headers=other.headers).json() == []

    # A security SMS went to the owner, and the ledger has ids only.
    assert jobs_of(redis_client, "alerta_conta_bancaria", investor.id)
    event = scalar(
        engine,
        "SELECT dados_evento FROM ledger_eventos WHERE tipo_evento = 'CONTA_BANCARIA_ADICIONADA'"
        " AND dados_evento->>'conta_bancaria_id' = :c",
        c=account["id"],
    )
    assert event == {"usuario_id": str(investor.id), "conta_bancaria_id": account["id"]}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("banco", "999"),
        ("banco", "abc"),
        ("agencia", "12"),
        ("agencia", "12345-67"),
        ("conta", "-1"),
        ("conta", "1234567890123-4"),
        ("tipo_conta", "SALARIO"),
    ],
)
def test_bad_bank_data_is_refused_without_burning_the_otp(
    client: TestClient,
    engine: sa.Engine,
    redis_client: redis.Redis,
    investor: Account,
    field: str,
    value: str,
) -> None:
    code = otp_for(redis_client, investor)
    body = {**new_bank_account(), field: value, "codigo_otp": code}
    response = client.post(ACCOUNTS, json=body, headers=investor.headers)
    assert response.status_code == 422
    [detail] = response.json()["details"]
    assert detail["campo"] == field and detail["erro"]
    assert value not in detail["erro"]
    assert _count_accounts(engine, investor) == 0
    # The code was not consumed by the refused request.
    ok = client.post(
        ACCOUNTS, json={**new_bank_account(), "codigo_otp": code}, headers=investor.headers
    )
    assert ok.status_code == 201


def test_normalisation_and_duplicates(
    client: TestClient, engine: sa.Engine, redis_client: redis.Redis, investor: Account
) -> None:
    code = otp_for(redis_client, investor)
    response = client.post(
        ACCOUNTS,
        json={
            "banco": "1",
            "agencia": " 1234-x ",
            "conta": "0012345x",
            "tipo_conta": "POUPANCA",
            "codigo_otp": code,
        },
        headers=investor.headers,
    )
    assert response.status_code == 201, response.text
    detail = client.get(f"{ACCOUNTS}/{response.json()['id']}", headers=investor.headers).json()
    assert (detail["banco"], detail["agencia"], detail["conta"]) == ("001", "1234-X", "0012345-X")

    code = otp_for(redis_client, investor)
    duplicate = client.post(
        ACCOUNTS,
        json={
            "banco": "001",
            "agencia": "1234-X",
            "conta": "0012345-X",
            "tipo_conta": "CORRENTE",
            "codigo_otp": code,
        },
        headers=investor.headers,
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "conta_bancaria_duplicada"
    assert _count_accounts(engine, investor) == 1


def test_exactly_one_principal_switch_update_and_delete(
    client: TestClient, engine: sa.Engine, redis_client: redis.Redis, investor: Account
) -> None:
    first = _add(client, redis_client, investor)
    second = _add(client, redis_client, investor)
    assert second["is_principal"] is False
    assert _principals(engine, investor) == [first["id"]]

    switched = client.post(
        f"{ACCOUNTS}/{second['id']}/principal",
        json={"codigo_otp": otp_for(redis_client, investor)},
        headers=investor.headers,
    )
    assert switched.status_code == 200, switched.text
    assert _principals(engine, investor) == [second["id"]]
    again = client.post(
        f"{ACCOUNTS}/{second['id']}/principal",
        json={"codigo_otp": otp_for(redis_client, investor)},
        headers=investor.headers,
    )
    assert again.status_code == 409 and again.json()["code"] == "conta_ja_principal"

    # A third one asked as principal takes the role from the second.
    third = _add(client, redis_client, investor, principal=True)
    assert _principals(engine, investor) == [third["id"]]

    # Changing the number sends the account back to verification.
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE contas_bancarias SET status = 'VERIFICADA' WHERE id = :c"),
            {"c": third["id"]},
        )
    new_number = new_bank_account()["conta"]
    changed = client.patch(
        f"{ACCOUNTS}/{third['id']}",
        json={"conta": new_number, "codigo_otp": otp_for(redis_client, investor)},
        headers=investor.headers,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["status"] == "PENDENTE"
    assert new_number not in changed.text
    unchanged = client.patch(
        f"{ACCOUNTS}/{third['id']}",
        json={"conta": new_number, "codigo_otp": otp_for(redis_client, investor)},
        headers=investor.headers,
    )
    assert unchanged.status_code == 422 and unchanged.json()["code"] == "sem_alteracoes"

    # Deleting the principal promotes the oldest remaining account.
    deleted = client.request(
        "DELETE",
        f"{ACCOUNTS}/{third['id']}",
        json={"codigo_otp": otp_for(redis_client, investor)},
        headers=investor.headers,
    )
    assert deleted.status_code == 204, deleted.text
    assert _principals(engine, investor) == [first["id"]]
    no_otp = client.request(
        "DELETE",
        f"{ACCOUNTS}/{first['id']}",
        json={"codigo_otp": "000000"},
        headers=investor.headers,
    )
    assert no_otp.status_code == 400 and no_otp.json()["code"] in {
        "otp_incorreto",
        "otp_ja_utilizado",
    }
    assert _count_accounts(engine, investor) == 2
    with engine.connect() as conn:
        kinds = {
            r[0]
            for r in conn.execute(
                sa.text(
                    "SELECT tipo_evento FROM ledger_eventos WHERE dados_evento->>'usuario_id' = :u"
                ),
                {"u": str(investor.id)},
            )
        }
    assert {
        "CONTA_BANCARIA_ADICIONADA",
        "CONTA_BANCARIA_PRINCIPAL_DEFINIDA",
        "CONTA_BANCARIA_ALTERADA",
        "CONTA_BANCARIA_REMOVIDA",
    } <= kinds


def test_admin_records_verification_and_an_invalid_principal_hands_over(
    client: TestClient, engine: sa.Engine, redis_client: redis.Redis, investor: Account
) -> None:
    admin = user_with_session(engine, redis_client, Perfil.ADMIN)
    first = _add(client, redis_client, investor)
    second = _add(client, redis_client, investor)
    url = f"/v1/admin/contas-bancarias/{first['id']}/verificacao"
    pending = client.patch(url, json={"status": "PENDENTE"}, headers=admin.headers)
    assert pending.status_code == 422
    invalid = client.patch(url, json={"status": "INVALIDA"}, headers=admin.headers)
    assert invalid.status_code == 200, invalid.text
    assert invalid.json()["status"] == "INVALIDA" and invalid.json()["is_principal"] is False
    assert _principals(engine, investor) == [second["id"]]
    refused = client.post(
        f"{ACCOUNTS}/{first['id']}/principal",
        json={"codigo_otp": otp_for(redis_client, investor)},
        headers=investor.headers,
    )
    assert refused.status_code == 409 and refused.json()["code"] == "conta_bancaria_invalida"
    missing = client.patch(
        f"/v1/admin/contas-bancarias/{uuid.uuid4()}/verificacao",
        json={"status": "VERIFICADA"},
        headers=admin.headers,
    )
    assert missing.status_code == 404


def test_bank_list_is_public(client: TestClient) -> None:
    response = client.get("/v1/bancos")
    assert response.status_code == 200
    codes = {b["codigo"] for b in response.json()}
    assert {"001", "104", "237", "341", "748", "756"} <= codes


def test_concurrent_changes_keep_exactly_one_principal(
    fresh_db_url: str, redis_client: redis.Redis
) -> None:
    """Several connections adding accounts and switching the principal at once never crash and
    always leave exactly one principal and at most five accounts (the user's row lock serialises
    them)."""
    import threading

    from sqlalchemy.orm import sessionmaker

    from shared_models.enums import TipoConta
    from sync_server.db import make_engine
    from sync_server.user_data import service

    engine = make_engine(fresh_db_url, pool_size=8, max_overflow=0)
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    try:
        owner = user_with_session(engine, redis_client, Perfil.INVESTIDOR)
        barrier = threading.Barrier(6)
        errors: list[BaseException] = []
        created: list[uuid.UUID] = []

        def add() -> None:
            try:
                data = new_bank_account()
                barrier.wait()
                with sessions() as s, s.begin():
                    account = service.add_bank_account(
                        s,
                        redis_client=None,
                        user_id=owner.id,
                        actor_id=owner.id,
                        actor_perfil=Perfil.INVESTIDOR,
                        banco=data["banco"],
                        agencia=data["agencia"],
                        conta=data["conta"],
                        tipo_conta=TipoConta.CORRENTE,
                        principal=True,
                    )
                    created.append(account.id)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=add) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        # Six at once for a limit of five: exactly one is refused, cleanly.
        assert [getattr(e, "code", e) for e in errors] == ["limite_contas_bancarias"]
        errors.clear()
        assert len(created) == 5
        assert len(_principals(engine, owner)) == 1

        barrier = threading.Barrier(5)

        def switch(account_id: uuid.UUID) -> None:
            try:
                barrier.wait()
                with sessions() as s, s.begin():
                    service.set_principal(
                        s,
                        redis_client=None,
                        user_id=owner.id,
                        account_id=account_id,
                        actor_perfil=Perfil.INVESTIDOR,
                    )
            except BaseException as exc:
                if getattr(exc, "code", None) != "conta_ja_principal":
                    errors.append(exc)

        threads = [threading.Thread(target=switch, args=(a,)) for a in created[:5]]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        assert len(_principals(engine, owner)) == 1
    finally:
        engine.dispose()


def test_renaming_a_verified_account_reopens_kyc(
    client: TestClient, engine: sa.Engine, investor: Account
) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE usuarios SET status_kyc = 'VERIFICADO' WHERE id = :u"),
            {"u": investor.id},
        )
    response = client.patch(
        "/v1/me", json={"nome_completo": "Outra Pessoa Qualquer"}, headers=investor.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["status_kyc"] == "ANALISE_MANUAL"
    event = scalar(
        engine,
        "SELECT dados_evento FROM ledger_eventos WHERE tipo_evento = 'KYC_REABERTO'"
        " AND ator_id = :u",
        u=investor.id,
    )
    assert event == {
        "usuario_id": str(investor.id),
        "status_anterior": "VERIFICADO",
        "motivo_codigo": "NOME_ALTERADO",
    }
    # A pending account whose new name looks implausible goes to manual analysis as well.
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE usuarios SET status_kyc = 'PENDENTE' WHERE id = :u"), {"u": investor.id}
        )
    odd = client.patch("/v1/me", json={"nome_completo": "Zé 123"}, headers=investor.headers)
    assert odd.status_code == 200 and odd.json()["status_kyc"] == "ANALISE_MANUAL"
