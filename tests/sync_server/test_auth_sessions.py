"""Login, Redis sessions, devices, logout, password change and Redis outages."""

from __future__ import annotations

import hashlib
import json
import socket
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sync_server.app import create_app
from sync_server.auth import sessions
from sync_server.auth.sessions import SessionPolicy, session_key
from sync_server.jobs.queue import Job, queue_key
from sync_server.settings import Settings
from tests.sync_server.auth_support import (
    bearer,
    device,
    login,
    new_password,
    signup,
    signup_payload,
)


def _devices(engine: sa.Engine, user_id: uuid.UUID) -> int:
    with engine.connect() as conn:
        return int(
            conn.execute(
                sa.text("SELECT count(*) FROM dispositivos WHERE usuario_id = :u"), {"u": user_id}
            ).scalar_one()
        )


def test_login_by_email_or_cpf_returns_an_opaque_token_stored_hashed(
    client: TestClient, redis_client: redis.Redis
) -> None:
    account = signup(client)
    cpf = account.cpf
    for identifier in (account.email.upper(), cpf, f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}"):
        token = login(client, account, identifier=identifier)
        user_hex, session_id, secret = token.split(".")
        assert user_hex == account.id.hex
        assert len(secret) >= 43  # 32 random bytes, base64url
        raw = redis_client.hget(session_key(account.id), session_id)
        assert raw is not None
        stored = json.loads(raw)
        assert stored["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
        assert set(stored) >= {"token_hash", "device_id", "created", "last_seen", "ip"}
    assert 0 < redis_client.ttl(session_key(account.id)) <= SessionPolicy().idle_ttl_s
    # The token never sits in Redis in clear.
    for key in redis_client.scan_iter():
        dump = repr(redis_client.dump(key))
        for token in account.tokens:
            assert token.split(".")[2] not in dump

    me = client.get("/v1/auth/me", headers=account.headers)
    assert me.status_code == 200
    assert me.json()["usuario_id"] == str(account.id)
    assert me.json()["perfil"] == "AGRICULTOR"


def test_wrong_password_and_unknown_account_get_the_same_401(client: TestClient) -> None:
    account = signup(client)
    wrong = client.post(
        "/v1/auth/login",
        json={"identificador": account.email, "senha": new_password(), "dispositivo": device()},
    )
    unknown = client.post(
        "/v1/auth/login",
        json={
            "identificador": f"ninguem{uuid.uuid4().hex[:6]}@example.com",
            "senha": account.password,
            "dispositivo": device(),
        },
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    assert wrong.json()["code"] == "credenciais_invalidas"


@pytest.mark.parametrize(
    ("body", "campo"),
    [
        ({"identificador": "maria", "senha": "x", "dispositivo": device()}, "identificador"),
        ({"identificador": "123.456", "senha": "x", "dispositivo": device()}, "identificador"),
        ({"identificador": "a@b.com", "senha": "x", "dispositivo": {"id": "x", "nome": "PC"}},
         "dispositivo.id"),
        ({"identificador": "a@b.com", "senha": "x"}, "dispositivo"),
    ],
)  # fmt: skip
def test_malformed_login_is_422(client: TestClient, body: dict[str, Any], campo: str) -> None:
    response = client.post("/v1/auth/login", json=body)
    assert response.status_code == 422
    assert [d["campo"] for d in response.json()["details"]] == [campo]


@pytest.mark.parametrize(
    "make_header",
    [
        lambda t: {},
        lambda t: {"Authorization": t},  # no scheme
        lambda t: {"Authorization": "Basic " + t},
        lambda t: bearer("lixo"),
        lambda t: bearer(t[:-2] + ("AA" if not t.endswith("AA") else "BB")),  # tampered secret
        lambda t: bearer(uuid.uuid4().hex + "." + t.split(".", 1)[1]),  # another user id
        lambda t: bearer(t.split(".")[0] + ".outra-sessao-xx." + t.split(".")[2]),
    ],
)
def test_bad_tokens_get_401(client: TestClient, make_header: Any) -> None:
    account = signup(client)
    token = login(client, account)
    response = client.get("/v1/auth/me", headers=make_header(token))
    assert response.status_code == 401
    assert response.json()["code"] == "nao_autenticado"
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_sessions_devices_logout_and_logout_all(
    client: TestClient, engine: sa.Engine, redis_client: redis.Redis
) -> None:
    account = signup(client)
    t1 = login(client, account, name="Celular")
    t2 = login(client, account, name="Notebook")
    t3 = login(client, account, name="Tablet")
    listed = client.get("/v1/auth/sessions", headers=bearer(t2))
    assert listed.status_code == 200
    rows = listed.json()
    assert len(rows) == 3
    assert sorted(r["dispositivo_nome"] for r in rows) == ["Celular", "Notebook", "Tablet"]
    assert [r["dispositivo_nome"] for r in rows if r["atual"]] == ["Notebook"]
    assert _devices(engine, account.id) == 3
    devices = client.get("/v1/auth/devices", headers=bearer(t1)).json()
    assert sorted(d["nome"] for d in devices) == ["Celular", "Notebook", "Tablet"]

    # Revoke one session by id (the tablet) from the laptop.
    tablet = next(r["id"] for r in rows if r["dispositivo_nome"] == "Tablet")
    assert client.delete(f"/v1/auth/sessions/{tablet}", headers=bearer(t2)).status_code == 204
    assert client.get("/v1/auth/me", headers=bearer(t3)).status_code == 401
    again = client.delete(f"/v1/auth/sessions/{tablet}", headers=bearer(t2))
    assert again.status_code == 404 and again.json()["code"] == "sessao_inexistente"

    # Logout ends only the current session.
    assert client.post("/v1/auth/logout", headers=bearer(t1)).status_code == 204
    assert client.get("/v1/auth/me", headers=bearer(t1)).status_code == 401
    assert client.get("/v1/auth/me", headers=bearer(t2)).status_code == 200

    t4 = login(client, account, name="Celular")
    assert client.post("/v1/auth/logout-all", headers=bearer(t4)).status_code == 204
    for token in (t2, t4):
        assert client.get("/v1/auth/me", headers=bearer(token)).status_code == 401
    assert not redis_client.exists(session_key(account.id))


def test_another_users_session_cannot_be_revoked(client: TestClient) -> None:
    alice, bob = signup(client), signup(client)
    login(client, alice)
    login(client, bob)
    bob_session = client.get("/v1/auth/me", headers=bob.headers).json()["sessao_id"]
    response = client.delete(f"/v1/auth/sessions/{bob_session}", headers=alice.headers)
    assert response.status_code == 404
    assert client.get("/v1/auth/me", headers=bob.headers).status_code == 200


def test_idle_and_absolute_expiry(
    client: TestClient, app: FastAPI, redis_client: redis.Redis
) -> None:
    account = signup(client)
    token = login(client, account)
    _, session_id, _ = token.split(".")
    key = session_key(account.id)
    stored = json.loads(redis_client.hget(key, session_id) or b"{}")

    # Sliding: a request after the touch interval refreshes last_seen.
    app.state.session_policy = SessionPolicy(touch_interval_s=0)
    stored["last_seen"] -= 3600
    redis_client.hset(key, session_id, json.dumps(stored))
    assert client.get("/v1/auth/me", headers=bearer(token)).status_code == 200
    refreshed = json.loads(redis_client.hget(key, session_id) or b"{}")
    assert refreshed["last_seen"] > stored["last_seen"] + 3000

    # Idle for longer than the idle TTL: gone.
    refreshed["last_seen"] -= SessionPolicy().idle_ttl_s + 1
    redis_client.hset(key, session_id, json.dumps(refreshed))
    assert client.get("/v1/auth/me", headers=bearer(token)).status_code == 401
    assert not redis_client.hexists(key, session_id)

    # Older than the absolute lifetime, even if active.
    token = login(client, account)
    _, session_id, _ = token.split(".")
    stored = json.loads(redis_client.hget(key, session_id) or b"{}")
    stored["created"] -= SessionPolicy().absolute_ttl_s + 1
    redis_client.hset(key, session_id, json.dumps(stored))
    assert client.get("/v1/auth/me", headers=bearer(token)).status_code == 401


def test_session_cap_drops_the_least_recently_used(
    client: TestClient, redis_client: redis.Redis, app: FastAPI
) -> None:
    app.state.session_policy = SessionPolicy(max_sessions=2)
    account = signup(client)
    first = login(client, account)
    time.sleep(0.01)
    second = login(client, account)
    time.sleep(0.01)
    third = login(client, account)
    assert redis_client.hlen(session_key(account.id)) == 2
    assert client.get("/v1/auth/me", headers=bearer(first)).status_code == 401
    assert client.get("/v1/auth/me", headers=bearer(second)).status_code == 200
    assert client.get("/v1/auth/me", headers=bearer(third)).status_code == 200


def test_password_change_revokes_every_session(
    client: TestClient, redis_client: redis.Redis
) -> None:
    account = signup(client)
    t1, t2 = login(client, account), login(client, account)
    new = new_password()

    wrong = client.post(
        "/v1/auth/password",
        headers=bearer(t1),
        json={"senha_atual": new_password(), "nova_senha": new},
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "senha_atual_incorreta"
    weak = client.post(
        "/v1/auth/password",
        headers=bearer(t1),
        json={"senha_atual": account.password, "nova_senha": "1234567890"},
    )
    assert weak.status_code == 422 and weak.json()["code"] == "senha_comum"
    assert weak.json()["details"][0]["campo"] == "nova_senha"
    same = client.post(
        "/v1/auth/password",
        headers=bearer(t1),
        json={"senha_atual": account.password, "nova_senha": account.password},
    )
    assert same.status_code == 422 and same.json()["code"] == "senha_igual"
    for token in (t1, t2):  # refusals changed nothing
        assert client.get("/v1/auth/me", headers=bearer(token)).status_code == 200

    redis_client.delete(queue_key("default"))
    ok = client.post(
        "/v1/auth/password",
        headers=bearer(t1),
        json={"senha_atual": account.password, "nova_senha": new},
    )
    assert ok.status_code == 204, ok.text
    for token in (t1, t2):
        assert client.get("/v1/auth/me", headers=bearer(token)).status_code == 401
    old = client.post(
        "/v1/auth/login",
        json={"identificador": account.email, "senha": account.password, "dispositivo": device()},
    )
    assert old.status_code == 401
    account.password = new
    login(client, account)
    [job] = [Job.decode(r) for r in redis_client.lrange(queue_key("default"), 0, -1)]
    assert job.payload["tipo"] == "senha_alterada"


# --------------------------------------------------------------------------------------------
# Redis unavailable: 503 with a clear message, nothing written half-way
# --------------------------------------------------------------------------------------------


@pytest.fixture
def redis_down_client(db_url: str, tmp_path: Path) -> Any:
    settings = Settings(
        database_url=db_url,
        redis_url="redis://127.0.0.1:1/0",
        redis_timeout_s=0.2,
        data_dir=tmp_path / "data",
        log_file=tmp_path / "down.jsonl",
        log_stdout=False,
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


def test_redis_down_gives_503_for_authenticated_routes(
    client: TestClient, redis_down_client: TestClient
) -> None:
    account = signup(client)
    token = login(client, account)
    for method, path in [("GET", "/v1/auth/me"), ("GET", "/v1/auth/sessions")]:
        response = redis_down_client.request(method, path, headers=bearer(token))
        assert response.status_code == 503
        assert response.json()["code"] == "servico_indisponivel"
        assert "sessões está indisponível" in response.json()["message"]
        assert response.headers["Retry-After"]


def test_redis_down_login_and_signup_write_nothing(
    client: TestClient, redis_down_client: TestClient, engine: sa.Engine
) -> None:
    account = signup(client)
    response = redis_down_client.post(
        "/v1/auth/login",
        json={"identificador": account.email, "senha": account.password, "dispositivo": device()},
    )
    assert response.status_code == 503
    assert response.json()["message"].startswith("Serviço temporariamente indisponível")
    assert _devices(engine, account.id) == 0

    body = signup_payload()
    assert redis_down_client.post("/v1/auth/signup", json=body).status_code == 503
    with engine.connect() as conn:
        assert (
            conn.execute(
                sa.text("SELECT count(*) FROM usuarios WHERE email = :e"), {"e": body["email"]}
            ).scalar_one()
            == 0
        )


def test_redis_failing_at_session_creation_leaves_no_device(
    client: TestClient, engine: sa.Engine, monkeypatch: Any
) -> None:
    account = signup(client)

    def down(*args: Any, **kwargs: Any) -> Any:
        raise redis.exceptions.ConnectionError("Redis caiu")

    monkeypatch.setattr(sessions, "create_session", down)
    response = client.post(
        "/v1/auth/login",
        json={"identificador": account.email, "senha": account.password, "dispositivo": device()},
    )
    assert response.status_code == 503
    assert _devices(engine, account.id) == 0


def test_failed_commit_after_login_leaves_no_session(
    client: TestClient, redis_client: redis.Redis, monkeypatch: Any
) -> None:
    account = signup(client)

    def broken_commit(self: Any) -> None:
        raise sa.exc.OperationalError("COMMIT", {}, Exception("conexão perdida"))

    monkeypatch.setattr(sa.orm.Session, "commit", broken_commit)
    response = client.post(
        "/v1/auth/login",
        json={"identificador": account.email, "senha": account.password, "dispositivo": device()},
    )
    assert response.status_code == 503
    assert redis_client.hlen(session_key(account.id)) == 0


def test_hung_redis_times_out_into_503(db_url: str, tmp_path: Path) -> None:
    """A Redis that accepts connections but never answers must not hang requests."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        port = silent.getsockname()[1]
        settings = Settings(
            database_url=db_url,
            redis_url=f"redis://127.0.0.1:{port}/0",
            redis_timeout_s=0.3,
            data_dir=tmp_path / "data",
            log_file=tmp_path / "hung.jsonl",
            log_stdout=False,
            log_db_enabled=False,
        )
        token = f"{uuid.uuid4().hex}.sessao-qualquer.{'x' * 43}"
        with TestClient(create_app(settings), raise_server_exceptions=False) as hung:
            started = time.monotonic()
            response = hung.get("/v1/auth/me", headers=bearer(token))
            assert response.status_code == 503
            assert time.monotonic() - started < 3


def test_async_client_lives_with_the_app_and_sync_fallback_works(
    app: FastAPI, client: TestClient
) -> None:
    account = signup(client)
    token = login(client, account)
    # Inside the lifespan (the `client` fixture): the asyncio client of the running loop.
    assert len(app.state.auth_async_redis) == 1
    assert client.get("/v1/auth/me", headers=bearer(token)).status_code == 200
    # Without a lifespan (no `with`): the sync client in the thread pool.
    bare = TestClient(app, raise_server_exceptions=False)
    assert bare.get("/v1/auth/me", headers=bearer(token)).status_code == 200
    assert bare.get("/v1/auth/me", headers=bearer(token + "x")).status_code == 401
