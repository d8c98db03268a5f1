"""Server core: health, OpenAPI, JSON errors in Portuguese, size limits, dependency outages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel

from sync_server import migrate
from sync_server.app import create_app
from sync_server.settings import Settings


class Probe(BaseModel):
    nome: str
    quantidade: int


def _with_probe(app: FastAPI) -> FastAPI:
    @app.post("/v1/_probe")
    def probe(body: Probe) -> dict[str, int]:
        return {"quantidade": body.quantidade}

    @app.get("/v1/_boom")
    def boom() -> None:
        raise RuntimeError("falha interna com detalhe secreto")

    return app


@pytest.fixture
def probe_client(app: FastAPI) -> TestClient:
    with TestClient(_with_probe(app), raise_server_exceptions=False) as c:
        yield c  # type: ignore[misc]


def test_health_reports_dependencies_and_revision(client: TestClient) -> None:
    resp = client.get("/v1/health")
    assert resp.status_code == 200
    body = resp.json()
    assert body["status"] == "ok"
    assert body["postgres"]["ok"] and body["redis"]["ok"]
    assert body["migration_revision"] == migrate.head_revision()


def test_openapi_document_lists_versioned_routes(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    assert "/v1/health" in doc["paths"]
    assert all(path.startswith("/v1/") for path in doc["paths"])


def _assert_error(resp_json: dict[str, object], code: str) -> None:
    assert resp_json["code"] == code
    assert isinstance(resp_json["message"], str) and resp_json["message"]


def test_unknown_route_and_method(client: TestClient) -> None:
    resp = client.get("/v1/nao-existe")
    assert resp.status_code == 404
    _assert_error(resp.json(), "nao_encontrado")
    resp = client.delete("/v1/health")
    assert resp.status_code == 405
    _assert_error(resp.json(), "metodo_nao_permitido")


def test_malformed_json_is_400(probe_client: TestClient) -> None:
    resp = probe_client.post(
        "/v1/_probe", content=b'{"nome": "x", ', headers={"content-type": "application/json"}
    )
    assert resp.status_code == 400
    _assert_error(resp.json(), "json_malformado")


def test_wrong_types_are_422_with_fields(probe_client: TestClient) -> None:
    resp = probe_client.post("/v1/_probe", json={"nome": 3, "quantidade": "muitas"})
    assert resp.status_code == 422
    body = resp.json()
    _assert_error(body, "dados_invalidos")
    fields = {d["campo"]: d["erro"] for d in body["details"]}
    assert fields == {"nome": "deve ser um texto", "quantidade": "deve ser um número inteiro"}


def test_missing_body_is_422(probe_client: TestClient) -> None:
    resp = probe_client.post(
        "/v1/_probe", content=b"", headers={"content-type": "application/json"}
    )
    assert resp.status_code == 422


def test_oversized_body_is_413_declared_and_streamed(probe_client: TestClient) -> None:
    big = json.dumps({"nome": "x" * 100_000, "quantidade": 1}).encode()
    resp = probe_client.post(
        "/v1/_probe", content=big, headers={"content-type": "application/json"}
    )
    assert resp.status_code == 413
    _assert_error(resp.json(), "corpo_muito_grande")

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(20):
            yield b"x" * 8192

    resp = probe_client.post(
        "/v1/_probe", content=chunks(), headers={"content-type": "application/json"}
    )
    assert resp.status_code == 413
    _assert_error(resp.json(), "corpo_muito_grande")


def test_unexpected_error_is_500_without_traceback(probe_client: TestClient) -> None:
    resp = probe_client.get("/v1/_boom")
    assert resp.status_code == 500
    _assert_error(resp.json(), "erro_interno")
    assert "secreto" not in resp.text and "Traceback" not in resp.text


def test_health_is_503_when_postgres_is_down(
    db_url: str, redis_url: str, tmp_path: Path, redis_client: object
) -> None:
    settings = Settings(
        database_url="postgresql://postgres@127.0.0.1:1/nada",
        redis_url=redis_url,
        log_file=tmp_path / "s.jsonl",
        log_stdout=False,
        db_connect_timeout_s=1,
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        resp = c.get("/v1/health")
    assert resp.status_code == 503
    body = resp.json()
    assert body["status"] == "indisponivel"
    assert body["postgres"]["ok"] is False and body["redis"]["ok"] is True


def test_health_is_503_when_redis_is_down(db_url: str, tmp_path: Path) -> None:
    settings = Settings(
        database_url=db_url,
        redis_url="redis://127.0.0.1:1/0",
        log_file=tmp_path / "s.jsonl",
        log_stdout=False,
        redis_timeout_s=0.5,
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        resp = c.get("/v1/health")
    assert resp.status_code == 503
    assert resp.json()["redis"]["ok"] is False


def test_upload_routes_get_the_larger_limit() -> None:
    from sync_server.limits import BodySizeLimitMiddleware

    async def inner(scope: object, receive: object, send: object) -> None:
        raise AssertionError

    mw = BodySizeLimitMiddleware(
        inner,  # type: ignore[arg-type]
        max_body_bytes=1024,
        max_upload_bytes=4096,
        upload_paths=(r"/v1/me/documentos",),
    )
    assert mw.limit_for("/v1/me/documentos") == 4096
    assert mw.limit_for("/v1/me/documentos/extra") == 1024
    assert mw.limit_for("/v1/health") == 1024
