"""``GET /v1/auth/me`` and the bearer dependency: the fast paths keep the documented contract."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from shared_models.enums import Perfil
from sync_server.auth.schemas import MeOut, me_json
from tests.sync_server.auth_support import login, signup


@pytest.mark.parametrize("perfil", list(Perfil))
@pytest.mark.parametrize("device", [uuid.uuid4(), None])
def test_me_body_is_the_model_serialisation(perfil: Perfil, device: uuid.UUID | None) -> None:
    values: dict[str, Any] = {
        "usuario_id": uuid.uuid4(),
        "perfil": perfil,
        "sessao_id": 'aB3_-x9\u00e7"\\',  # anything JSON must escape survives
        "dispositivo_id": device,
    }
    fast = me_json(**values)
    model = MeOut(**values).model_dump_json().encode()
    assert json.loads(fast) == json.loads(model)
    assert list(json.loads(fast)) == list(MeOut.model_fields)


def test_me_response(client: TestClient) -> None:
    account = signup(client)
    token = login(client, account)
    _, session_id, _ = token.split(".")
    response = client.get("/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert MeOut.model_validate(body).usuario_id == account.id
    assert body["perfil"] == "AGRICULTOR"
    assert body["sessao_id"] == session_id
    assert uuid.UUID(body["dispositivo_id"])


def test_openapi_keeps_the_me_schema_and_the_bearer_scheme(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    me = doc["paths"]["/v1/auth/me"]["get"]
    assert me["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/MeOut"
    }
    assert set(me["responses"]) == {"200", "401", "503"}
    assert me["security"] == [{"sessao": []}]
    assert doc["components"]["securitySchemes"]["sessao"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "Token de sessão devolvido por POST /v1/auth/login.",
    }
    # Every route that depends on the session declares it; public ones do not.
    assert doc["paths"]["/v1/auth/sessions"]["get"]["security"] == [{"sessao": []}]
    assert "security" not in doc["paths"]["/v1/auth/login"]["post"]
    assert "security" not in doc["paths"]["/v1/ping"]["get"]


@pytest.mark.parametrize(
    ("header", "status"),
    [
        ("Bearer {t}", 200),
        ("bearer {t}", 200),  # the scheme is case-insensitive, as in fastapi's HTTPBearer
        ("BEARER   {t}  ", 200),
        ("Bearer", 401),
        ("Bearer ", 401),
        (" Bearer {t}", 401),
        ("Token {t}", 401),
        ("{t}", 401),
        ("Bearer {t} extra", 401),
    ],
)
def test_authorization_header_forms(client: TestClient, header: str, status: int) -> None:
    account = signup(client)
    token = login(client, account)
    response = client.get("/v1/auth/me", headers={"Authorization": header.format(t=token)})
    assert response.status_code == status
    if status == 401:
        assert response.json()["code"] == "nao_autenticado"
        assert response.headers["WWW-Authenticate"] == "Bearer"
