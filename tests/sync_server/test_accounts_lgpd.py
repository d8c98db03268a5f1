"""LGPD: export of all personal data; deletion by anonymisation keeping money and ledger intact."""

from __future__ import annotations

import pytest
import redis
import sqlalchemy as sa
from fastapi.testclient import TestClient

from shared_models.cpf import is_valid_cpf
from shared_models.enums import Perfil
from sync_server.ledger.service import verify_chain
from tests.sync_server.accounts_support import (
    new_bank_account,
    otp_for,
    png_bytes,
    row,
    scalar,
    upload,
    user_with_session,
)
from tests.sync_server.auth_support import Account, device, signup_payload

EXPORT = "/v1/me/dados-pessoais"
DELETE = "/v1/me/exclusao"


@pytest.fixture
def investor(engine: sa.Engine, redis_client: redis.Redis) -> Account:
    return user_with_session(engine, redis_client, Perfil.INVESTIDOR)


def _with_data(client: TestClient, redis_client: redis.Redis, user: Account) -> dict[str, str]:
    bank = new_bank_account()
    created = client.post(
        "/v1/me/contas-bancarias",
        json={**bank, "codigo_otp": otp_for(redis_client, user)},
        headers=user.headers,
    )
    assert created.status_code == 201, created.text
    assert upload(client, "/v1/me/documentos", user, png_bytes()).status_code == 201
    return bank


def _deposit(engine: sa.Engine, user: Account, amount: str, *, concluded: bool = True) -> None:
    with engine.begin() as conn:
        wallet = conn.execute(
            sa.text("SELECT id FROM carteiras WHERE usuario_id = :u"), {"u": user.id}
        ).scalar_one()
        conn.execute(
            sa.text(
                "INSERT INTO transacoes (carteira_id, valor, tipo, status)"
                " VALUES (:w, :v, 'DEPOSITO_PIX', :s)"
            ),
            {"w": wallet, "v": amount, "s": "CONCLUIDA" if concluded else "PENDENTE"},
        )
        if concluded:
            conn.execute(
                sa.text("UPDATE carteiras SET saldo_usdc = saldo_usdc + :v WHERE id = :w"),
                {"v": amount, "w": wallet},
            )


def test_export_holds_all_personal_data_with_bank_data_unmasked(
    client: TestClient, engine: sa.Engine, redis_client: redis.Redis, investor: Account
) -> None:
    bank = _with_data(client, redis_client, investor)
    _deposit(engine, investor, "25.5")
    response = client.get(EXPORT, headers=investor.headers)
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers["content-disposition"]
    data = response.json()
    assert data["formato"] == "peerseed-lgpd-export/1"
    assert data["perfil"]["cpf"] == investor.cpf
    assert data["perfil"]["email"] == investor.email
    assert "senha_hash" not in data["perfil"]
    [account] = data["contas_bancarias"]
    assert account["conta"] == bank["conta"] and account["agencia"] == bank["agencia"]
    [document] = data["documentos_kyc"]
    assert document["mime"] == "image/png" and "conteudo" not in document
    assert data["carteira"]["saldo_usdc"] == "25.50000000"
    assert [t["valor"] for t in data["transacoes"]] == ["25.50000000"]
    assert data["cprs"] == [] and data["investimentos"] == []
    # The OTP SMS is listed without its code.
    otp_messages = [n for n in data["notificacoes"] if n["tipo"] == "otp"]
    assert not otp_messages or all("******" in n["corpo"] for n in otp_messages)
    kinds = {e["tipo_evento"] for e in data["eventos_ledger"]}
    assert "CONTA_BANCARIA_ADICIONADA" in kinds


def test_deletion_anonymises_and_keeps_money_and_ledger(
    client: TestClient, engine: sa.Engine, redis_client: redis.Redis, investor: Account
) -> None:
    _with_data(client, redis_client, investor)
    _deposit(engine, investor, "10")

    wrong = client.post(
        DELETE, json={"senha": "nao-e-a-senha", "confirmacao": "EXCLUIR"}, headers=investor.headers
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "senha_atual_incorreta"
    unconfirmed = client.post(
        DELETE, json={"senha": investor.password, "confirmacao": "sim"}, headers=investor.headers
    )
    assert unconfirmed.status_code == 422
    with_balance = client.post(
        DELETE,
        json={"senha": investor.password, "confirmacao": "EXCLUIR"},
        headers=investor.headers,
    )
    assert with_balance.status_code == 409
    assert with_balance.json()["code"] == "exclusao_com_pendencias"
    assert with_balance.json()["details"] == {"pendencias": ["saldo"]}
    assert (
        scalar(engine, "SELECT anonimizado_em FROM usuarios WHERE id = :u", u=investor.id) is None
    )

    # Withdraw everything (a concluded debit), then delete.
    _deposit(engine, investor, "-10")
    with engine.connect() as conn:
        ledger_before = verify_chain(conn)
    deleted = client.post(
        DELETE,
        json={"senha": investor.password, "confirmacao": "EXCLUIR"},
        headers=investor.headers,
    )
    assert deleted.status_code == 200, deleted.text

    user = row(engine, "SELECT * FROM usuarios WHERE id = :u", u=investor.id)
    assert user.anonimizado_em is not None
    assert user.nome_completo == "Titular anonimizado"
    assert investor.email != user.email and user.email.endswith(".invalid")
    assert user.cpf != investor.cpf and len(user.cpf) == 11 and user.cpf.isdigit()
    assert not is_valid_cpf(user.cpf)
    assert user.celular != investor.celular
    assert not user.senha_hash.startswith("$argon2")
    account = row(engine, "SELECT * FROM contas_bancarias WHERE usuario_id = :u", u=investor.id)
    assert (account.agencia, account.conta, account.status, account.is_principal) == (
        "0000",
        "0-0",
        "INVALIDA",
        False,
    )
    document = row(engine, "SELECT * FROM documentos_kyc WHERE usuario_id = :u", u=investor.id)
    assert document.conteudo is None and document.excluido_em is not None
    for table in ("notificacoes", "dispositivos", "ativacoes_conta"):
        assert (
            scalar(engine, f"SELECT count(*) FROM {table} WHERE usuario_id = :u", u=investor.id)
            == 0
        )
    # Financial records are kept.
    assert (
        scalar(
            engine,
            "SELECT count(*) FROM transacoes t JOIN carteiras c ON c.id = t.carteira_id"
            " WHERE c.usuario_id = :u",
            u=investor.id,
        )
        == 2
    )
    with engine.connect() as conn:
        ledger_after = verify_chain(conn)
        event = conn.execute(
            sa.text(
                "SELECT dados_evento FROM ledger_eventos WHERE tipo_evento = 'USUARIO_ANONIMIZADO'"
                " AND ator_id = :u"
            ),
            {"u": investor.id},
        ).scalar_one()
    assert ledger_after.ok and ledger_after.count > ledger_before.count
    assert event == {"usuario_id": str(investor.id)}

    # The session is gone, and the old credentials do not work.
    assert client.get("/v1/me", headers=investor.headers).status_code == 401
    for identifier in (investor.email, investor.cpf):
        login = client.post(
            "/v1/auth/login",
            json={"identificador": identifier, "senha": investor.password, "dispositivo": device()},
        )
        assert login.status_code == 401
    # The CPF and e-mail are free again: the person may sign up anew.
    again = client.post(
        "/v1/auth/signup",
        json=signup_payload("INVESTIDOR", cpf=investor.cpf, email=investor.email),
    )
    assert again.status_code == 201, again.text


def test_deletion_is_refused_with_open_obligations(
    client: TestClient, engine: sa.Engine, redis_client: redis.Redis
) -> None:
    farmer = user_with_session(engine, redis_client, Perfil.AGRICULTOR)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO cprs (agricultor_id, valor_solicitado, taxa_juros_anual, prazo_meses,"
                " score_risco, total_cotas, valor_por_cota_usdc)"
                " VALUES (:u, 1000, 12, 12, 'A', 10, 20)"
            ),
            {"u": farmer.id},
        )
    _deposit(engine, farmer, "5", concluded=False)
    refused = client.post(
        DELETE, json={"senha": farmer.password, "confirmacao": "EXCLUIR"}, headers=farmer.headers
    )
    assert refused.status_code == 409
    assert refused.json()["details"] == {
        "pendencias": ["movimentacoes_pendentes", "cprs_em_aberto"]
    }
    assert "CPRs" in refused.json()["message"]
    assert client.get("/v1/me", headers=farmer.headers).status_code == 200


def test_deletion_rolls_back_when_sessions_cannot_be_revoked(
    client: TestClient,
    engine: sa.Engine,
    redis_client: redis.Redis,
    investor: Account,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sync_server.auth import sessions

    def down(*args: object, **kwargs: object) -> int:
        raise redis.exceptions.ConnectionError("Redis caiu")

    monkeypatch.setattr(sessions, "revoke_all_sessions", down)
    response = client.post(
        DELETE,
        json={"senha": investor.password, "confirmacao": "EXCLUIR"},
        headers=investor.headers,
    )
    assert response.status_code == 503
    user = row(engine, "SELECT * FROM usuarios WHERE id = :u", u=investor.id)
    assert user.anonimizado_em is None and user.cpf == investor.cpf
    assert not scalar(
        engine,
        "SELECT count(*) FROM ledger_eventos WHERE tipo_evento = 'USUARIO_ANONIMIZADO'"
        " AND ator_id = :u",
        u=investor.id,
    )
