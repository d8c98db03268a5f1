"""KYC: documents checked by content and stored in PostgreSQL; the admins' queue and decisions."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from shared_models.enums import Perfil
from shared_models.kyc_documents import MAX_DOCUMENT_BYTES
from sync_server.app import create_app
from sync_server.kyc.guards import KycVerifiedPrincipal
from sync_server.settings import Settings
from tests.sync_server.accounts_support import (
    jobs_of,
    jpeg_bytes,
    pdf_bytes,
    png_bytes,
    row,
    scalar,
    upload,
    user_with_session,
)
from tests.sync_server.auth_support import Account

MY_DOCS = "/v1/me/documentos"


def _docs(engine: sa.Engine, user: Account) -> int:
    return int(
        scalar(engine, "SELECT count(*) FROM documentos_kyc WHERE usuario_id = :u", u=user.id)
    )


@pytest.fixture
def farmer(engine: sa.Engine, redis_client: redis.Redis) -> Account:
    return user_with_session(engine, redis_client, Perfil.AGRICULTOR)


@pytest.fixture
def admin(engine: sa.Engine, redis_client: redis.Redis) -> Account:
    return user_with_session(engine, redis_client, Perfil.ADMIN)


def test_upload_stores_the_file_by_content_and_is_idempotent(
    client: TestClient, engine: sa.Engine, farmer: Account
) -> None:
    content = png_bytes()
    # The declared name and type are ignored: the bytes say PNG.
    response = upload(
        client, MY_DOCS, farmer, content, filename="foto.pdf", content_type="application/pdf"
    )
    assert response.status_code == 201, response.text
    doc = response.json()
    assert doc["mime"] == "image/png"
    assert doc["tipo"] == "RG"
    assert doc["tamanho_bytes"] == len(content)
    assert doc["sha256"] == hashlib.sha256(content).hexdigest()
    assert doc["enviado_por"] == str(farmer.id) and doc["usuario_id"] == str(farmer.id)
    stored = row(engine, "SELECT conteudo, mime FROM documentos_kyc WHERE id = :d", d=doc["id"])
    assert bytes(stored.conteudo) == content

    again = upload(client, MY_DOCS, farmer, content)
    assert again.status_code == 200
    assert again.json()["id"] == doc["id"]
    assert _docs(engine, farmer) == 1

    jpeg = upload(client, MY_DOCS, farmer, jpeg_bytes(), tipo="SELFIE", filename="x.png")
    assert jpeg.status_code == 201 and jpeg.json()["mime"] == "image/jpeg"
    pdf = upload(client, MY_DOCS, farmer, pdf_bytes(), tipo="COMPROVANTE_RESIDENCIA")
    assert pdf.status_code == 201 and pdf.json()["mime"] == "application/pdf"

    listed = client.get(MY_DOCS, headers=farmer.headers).json()
    assert {d["id"] for d in listed} == {doc["id"], jpeg.json()["id"], pdf.json()["id"]}
    assert all("conteudo" not in d for d in listed)

    download = client.get(f"{MY_DOCS}/{doc['id']}/conteudo", headers=farmer.headers)
    assert download.status_code == 200
    assert download.content == content
    assert download.headers["content-type"] == "image/png"
    assert download.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (b"MZ\x90\x00" + b"\x00" * 200, 415, "documento_tipo_invalido"),  # a Windows executable
        (b"GIF89a" + b"\x00" * 50, 415, "documento_tipo_invalido"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, 415, "documento_tipo_invalido"),  # no IHDR
        (b"<html><script>alert(1)</script></html>", 415, "documento_tipo_invalido"),
        (
            pdf_bytes(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>\n"),
            415,
            "documento_pdf_ativo",
        ),
        (b"", 422, "documento_vazio"),
    ],
)
def test_bad_files_are_refused_in_portuguese_and_change_nothing(
    client: TestClient, engine: sa.Engine, farmer: Account, content: bytes, status: int, code: str
) -> None:
    response = upload(client, MY_DOCS, farmer, content, filename="rg.png", content_type="image/png")
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert response.json()["message"]
    assert _docs(engine, farmer) == 0


def test_unknown_document_type_is_refused(client: TestClient, farmer: Account) -> None:
    response = upload(client, MY_DOCS, farmer, png_bytes(), tipo="PASSAPORTE")
    assert response.status_code == 422
    assert response.json()["details"] == [{"campo": "tipo", "erro": "valor não permitido"}]


@pytest.fixture
def big_client(
    db_url: str, redis_url: str, tmp_path: Path, redis_client: redis.Redis
) -> Iterator[TestClient]:
    settings = Settings(
        database_url=db_url,
        redis_url=redis_url,
        data_dir=tmp_path / "data",
        log_file=tmp_path / "server.jsonl",
        log_stdout=False,
        max_body_bytes=8 * 1024 * 1024,
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


def test_oversized_upload_is_refused(
    big_client: TestClient, client: TestClient, engine: sa.Engine, farmer: Account
) -> None:
    just_over = png_bytes()
    just_over += b"\x00" * (MAX_DOCUMENT_BYTES + 1 - len(just_over))
    response = upload(big_client, MY_DOCS, farmer, just_over)
    assert response.status_code == 413
    assert response.json()["code"] == "documento_muito_grande"
    assert "5 MiB" in response.json()["message"]
    # Under a server body limit smaller than the document limit, the body limit answers first.
    small_server = upload(client, MY_DOCS, farmer, png_bytes() + b"\x00" * 70_000)
    assert small_server.status_code == 413
    assert _docs(engine, farmer) == 0
    # Right at the limit is accepted.
    at_limit = png_bytes()
    at_limit += b"\x00" * (MAX_DOCUMENT_BYTES - len(at_limit))
    assert upload(big_client, MY_DOCS, farmer, at_limit).status_code == 201


def test_queue_lists_pending_users_with_documents(
    client: TestClient, engine: sa.Engine, redis_client: redis.Redis, admin: Account
) -> None:
    with_docs = user_with_session(engine, redis_client, Perfil.INVESTIDOR)
    without_docs = user_with_session(engine, redis_client, Perfil.INVESTIDOR)
    upload(client, MY_DOCS, with_docs, png_bytes(), tipo="CNH")
    upload(client, MY_DOCS, with_docs, jpeg_bytes(), tipo="SELFIE")
    ids: set[str] = set()
    offset = 0
    while True:
        page = client.get(
            "/v1/admin/kyc/fila",
            params={"limite": 200, "deslocamento": offset},
            headers=admin.headers,
        )
        assert page.status_code == 200, page.text
        body = page.json()
        for item in body["itens"]:
            ids.add(item["usuario_id"])
            if item["usuario_id"] == str(with_docs.id):
                assert [d["tipo"] for d in item["documentos"]] == ["CNH", "SELFIE"]
                assert item["cpf_mascarado"] == f"{with_docs.cpf[:3]}.***.***-{with_docs.cpf[9:]}"
                assert item["status_kyc"] == "PENDENTE"
        offset += 200
        if offset >= body["total"]:
            break
    assert str(with_docs.id) in ids
    assert str(without_docs.id) not in ids


def test_decision_updates_status_records_reason_and_appends_a_pseudonymous_ledger_event(
    client: TestClient, engine: sa.Engine, redis_client: redis.Redis, admin: Account
) -> None:
    user = user_with_session(engine, redis_client, Perfil.INVESTIDOR)
    doc = upload(client, MY_DOCS, user, png_bytes()).json()
    url = f"/v1/admin/kyc/usuarios/{user.id}/decisao"

    # An admin downloads the document to look at it.
    download = client.get(f"/v1/admin/kyc/documentos/{doc['id']}/conteudo", headers=admin.headers)
    assert download.status_code == 200 and download.headers["content-type"] == "image/png"

    # Refusing without saying why is refused, and changes nothing.
    response = client.post(
        url,
        json={"decisao": "REPROVADO", "motivo_codigo": "DOCUMENTO_ILEGIVEL"},
        headers=admin.headers,
    )
    assert response.status_code == 422 and response.json()["code"] == "kyc_motivo_obrigatorio"
    reason = "Foto do RG de Maria está desfocada; envie outra."
    response = client.post(
        url,
        json={"decisao": "REPROVADO", "motivo_codigo": "DOCUMENTO_ILEGIVEL", "motivo": reason},
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    decision = response.json()
    assert decision["decisao"] == "REPROVADO" and decision["motivo"] == reason

    me = client.get("/v1/me", headers=user.headers).json()
    assert me["status_kyc"] == "REPROVADO"
    assert me["kyc_motivo_codigo"] == "DOCUMENTO_ILEGIVEL" and me["kyc_motivo"] == reason

    event = row(
        engine,
        "SELECT * FROM ledger_eventos WHERE id = :id",
        id=decision["ledger_evento_id"],
    )
    assert event.tipo_evento == "KYC_DECIDIDO"
    assert event.ator_id == admin.id and event.ator_tipo == "ADMIN"
    assert event.dados_evento == {
        "usuario_id": str(user.id),
        "decisao": "REPROVADO",
        "status_anterior": "PENDENTE",
        "motivo_codigo": "DOCUMENTO_ILEGIVEL",
        "admin_id": str(admin.id),
    }
    assert "Maria" not in str(event.dados_evento)
    assert jobs_of(redis_client, "kyc_decisao", user.id)

    # A new document puts the user back in the queue; then an approval.
    upload(client, MY_DOCS, user, png_bytes(), tipo="CNH")
    assert client.get("/v1/me", headers=user.headers).json()["status_kyc"] == "PENDENTE"
    response = client.post(
        url,
        json={"decisao": "VERIFICADO", "motivo_codigo": "DOCUMENTOS_CONFERIDOS"},
        headers=admin.headers,
    )
    assert response.status_code == 201, response.text
    again = client.post(
        url,
        json={"decisao": "VERIFICADO", "motivo_codigo": "DOCUMENTOS_CONFERIDOS"},
        headers=admin.headers,
    )
    assert again.status_code == 409 and again.json()["code"] == "kyc_ja_decidido"
    assert scalar(engine, "SELECT count(*) FROM kyc_decisoes WHERE usuario_id = :u", u=user.id) == 2


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"decisao": "ANALISE_MANUAL", "motivo_codigo": "OUTRO"}, 422, "kyc_decisao_invalida"),
        (
            {"decisao": "VERIFICADO", "motivo_codigo": "SUSPEITA_DE_FRAUDE"},
            422,
            "kyc_motivo_incoerente",
        ),
        ({"decisao": "VERIFICADO", "motivo_codigo": "INVENTADO"}, 422, "dados_invalidos"),
        ({"decisao": "VERIFICADO", "motivo_codigo": "OUTRO"}, 409, "kyc_sem_documentos"),
    ],
)
def test_bad_decisions_are_refused_and_change_nothing(
    client: TestClient,
    engine: sa.Engine,
    redis_client: redis.Redis,
    admin: Account,
    body: dict[str, str],
    status: int,
    code: str,
) -> None:
    user = user_with_session(engine, redis_client, Perfil.AGRICULTOR)
    response = client.post(
        f"/v1/admin/kyc/usuarios/{user.id}/decisao", json=body, headers=admin.headers
    )
    assert response.status_code == status, response.text
    assert response.json()["code"] == code
    assert scalar(engine, "SELECT status_kyc FROM usuarios WHERE id = :u", u=user.id) == "PENDENTE"
    assert scalar(engine, "SELECT count(*) FROM kyc_decisoes WHERE usuario_id = :u", u=user.id) == 0


def test_admin_cannot_decide_own_kyc_and_unknown_users_are_404(
    client: TestClient, admin: Account
) -> None:
    body = {"decisao": "VERIFICADO", "motivo_codigo": "DOCUMENTOS_CONFERIDOS"}
    own = client.post(
        f"/v1/admin/kyc/usuarios/{admin.id}/decisao", json=body, headers=admin.headers
    )
    assert own.status_code == 403 and own.json()["code"] == "kyc_autodecisao"
    unknown = client.post(
        f"/v1/admin/kyc/usuarios/{uuid.uuid4()}/decisao", json=body, headers=admin.headers
    )
    assert unknown.status_code == 404


def test_kyc_guard_for_money_moving_operations(
    app: FastAPI, engine: sa.Engine, redis_client: redis.Redis, admin: Account
) -> None:
    @app.post("/v1/_probe_saque")
    def probe(principal: KycVerifiedPrincipal) -> dict[str, str]:
        return {"ok": str(principal.user_id)}

    with TestClient(app, raise_server_exceptions=False) as c:
        user = user_with_session(engine, redis_client, Perfil.INVESTIDOR)
        refused = c.post("/v1/_probe_saque", headers=user.headers)
        assert refused.status_code == 403 and refused.json()["code"] == "kyc_pendente"
        upload(c, MY_DOCS, user, png_bytes())
        decided = c.post(
            f"/v1/admin/kyc/usuarios/{user.id}/decisao",
            json={"decisao": "VERIFICADO", "motivo_codigo": "DOCUMENTOS_CONFERIDOS"},
            headers=admin.headers,
        )
        assert decided.status_code == 201
        assert c.post("/v1/_probe_saque", headers=user.headers).status_code == 200
        assert c.post("/v1/_probe_saque").status_code == 401
