"""Rate limits: the sliding window itself, and brute force on login stopped per account and IP."""

from __future__ import annotations

import time

import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sync_server.auth import ratelimit
from sync_server.auth.ratelimit import RateLimited, RateLimits, Rule
from tests.sync_server.auth_support import device, new_password, signup


def test_sliding_window_counts_refuses_and_recovers(redis_client: redis.Redis) -> None:
    rule = Rule(3, 0.5)
    for _ in range(3):
        ratelimit.take(redis_client, scope="t", ident="a", rule=rule)
    with pytest.raises(RateLimited) as info:
        ratelimit.take(redis_client, scope="t", ident="a", rule=rule)
    assert info.value.status_code == 429
    assert info.value.headers == {"Retry-After": "1"}
    # Another id has its own window; peeking never counts.
    ratelimit.ensure_below(redis_client, scope="t", ident="b", rule=rule)
    ratelimit.ensure_below(redis_client, scope="t", ident="b", rule=rule)
    assert redis_client.zcard("ratelimit:t:b") == 0
    assert 0 < redis_client.pttl("ratelimit:t:a") <= 500
    time.sleep(0.6)
    ratelimit.take(redis_client, scope="t", ident="a", rule=rule)


def test_record_counts_unconditionally_and_clear_resets(redis_client: redis.Redis) -> None:
    rule = Rule(2, 60)
    for _ in range(4):
        ratelimit.record(redis_client, scope="t", ident="x", rule=rule)
    with pytest.raises(RateLimited) as info:
        ratelimit.ensure_below(redis_client, scope="t", ident="x", rule=rule)
    assert 55 <= info.value.retry_after_s <= 60
    assert "minuto" in info.value.message
    ratelimit.clear(redis_client, scope="t", ident="x")
    ratelimit.ensure_below(redis_client, scope="t", ident="x", rule=rule)


def _attempt(client: TestClient, identifier: str, password: str) -> int:
    response = client.post(
        "/v1/auth/login",
        json={"identificador": identifier, "senha": password, "dispositivo": device()},
    )
    if response.status_code == 429:
        assert int(response.headers["Retry-After"]) >= 1
        assert response.json()["code"] == "muitas_tentativas"
    return response.status_code


def test_brute_force_is_stopped_but_the_owner_gets_back_in(
    client: TestClient, app: FastAPI
) -> None:
    account = signup(client)
    window = 6.0
    app.state.rate_limits = RateLimits(login_account=Rule(3, window), login_ip=Rule(6, 60))
    attacker = TestClient(app, client=("203.0.113.66", 40000))
    owner = TestClient(app, client=("198.51.100.7", 40001))
    started = time.monotonic()

    guesses = [_attempt(attacker, account.email, new_password()) for _ in range(8)]
    # Three wrong guesses, then the account is locked, then the attacker's IP is too.
    assert guesses == [401, 401, 401, 429, 429, 429, 429, 429]
    blocked_ip = attacker.post(
        "/v1/auth/login",
        json={"identificador": account.email, "senha": account.password, "dispositivo": device()},
    )
    assert blocked_ip.status_code == 429
    assert "rede" in blocked_ip.json()["message"]

    # While the account window lasts even the right password waits (from any IP)...
    locked = owner.post(
        "/v1/auth/login",
        json={"identificador": account.cpf, "senha": account.password, "dispositivo": device()},
    )
    assert locked.status_code == 429
    assert "conta" in locked.json()["message"]
    # ...and once it expires the owner logs in from their own network.
    time.sleep(max(0.0, started + window + 0.2 - time.monotonic()))
    assert _attempt(owner, account.cpf, account.password) == 200
    # The attacker's network stays blocked for its own, longer window.
    assert _attempt(attacker, account.email, account.password) == 429


def test_a_successful_login_clears_the_account_counter(client: TestClient, app: FastAPI) -> None:
    account = signup(client)
    app.state.rate_limits = RateLimits(login_account=Rule(3, 60), login_ip=Rule(100, 60))
    assert _attempt(client, account.email, new_password()) == 401
    assert _attempt(client, account.email, new_password()) == 401
    assert _attempt(client, account.email, account.password) == 200
    assert _attempt(client, account.email, new_password()) == 401
    assert _attempt(client, account.email, new_password()) == 401
    assert _attempt(client, account.email, account.password) == 200


def test_unknown_accounts_are_limited_like_real_ones(client: TestClient, app: FastAPI) -> None:
    app.state.rate_limits = RateLimits(login_account=Rule(2, 60), login_ip=Rule(100, 60))
    ghost = "fantasma-limite@example.com"
    assert [_attempt(client, ghost, new_password()) for _ in range(3)] == [401, 401, 429]


def test_password_change_guessing_is_limited(client: TestClient, app: FastAPI) -> None:
    account = signup(client)
    app.state.rate_limits = RateLimits(password_change_user=Rule(2, 60))
    response = client.post(
        "/v1/auth/login",
        json={"identificador": account.email, "senha": account.password, "dispositivo": device()},
    )
    headers = {"Authorization": f"Bearer {response.json()['token']}"}
    codes = [
        client.post(
            "/v1/auth/password",
            headers=headers,
            json={"senha_atual": new_password(), "nova_senha": new_password()},
        ).status_code
        for _ in range(3)
    ]
    assert codes == [400, 400, 429]
