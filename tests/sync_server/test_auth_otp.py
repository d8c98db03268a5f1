"""One-time codes: sent by SMS, stored hashed, limited tries, bound to a purpose."""

from __future__ import annotations

import re
import uuid

import pytest
import redis
from fastapi import FastAPI
from fastapi.testclient import TestClient

from sync_server.auth.otp import OtpPurpose, otp_key, request_otp, verify_otp
from sync_server.auth.ratelimit import RateLimits, Rule
from sync_server.errors import ApiError
from sync_server.jobs.queue import Job, queue_key
from tests.log_scan import register_secret
from tests.sync_server.auth_support import login, signup


def _last_code(redis_client: redis.Redis) -> str:
    jobs = [Job.decode(raw) for raw in redis_client.lrange(queue_key("default"), 0, -1)]
    sms = [j for j in jobs if j.payload["tipo"] == "otp"]
    match = re.search(r"\b(\d{6})\b", sms[0].payload["corpo"])  # LPUSH: newest first
    assert match
    register_secret(match.group(1), "otp")
    return match.group(1)


def _issue(redis_client: redis.Redis, user: uuid.UUID, purpose: OtpPurpose) -> str:
    request_otp(redis_client, user_id=user, purpose=purpose, mobile="+5565999990000")
    return _last_code(redis_client)


def _refusal(redis_client: redis.Redis, user: uuid.UUID, code: str, **kw: object) -> ApiError:
    purpose = kw.pop("purpose", OtpPurpose.CONTA_BANCARIA)
    assert isinstance(purpose, OtpPurpose)
    with pytest.raises(ApiError) as info:
        verify_otp(redis_client, user_id=user, purpose=purpose, code=code)
    return info.value


def test_otp_request_sends_an_sms_and_stores_only_a_hash(
    client: TestClient, redis_client: redis.Redis
) -> None:
    account = signup(client)
    login(client, account)
    response = client.post(
        "/v1/auth/otp", headers=account.headers, json={"finalidade": "conta_bancaria"}
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["finalidade"] == "conta_bancaria"
    assert body["expira_em_s"] == 300
    assert body["enviado_para"] == f"+55 ({account.celular[3:5]}) *****-{account.celular[-4:]}"

    jobs = [Job.decode(raw) for raw in redis_client.lrange(queue_key("default"), 0, -1)]
    [sms] = [j for j in jobs if j.payload["tipo"] == "otp"]
    assert sms.payload["canal"] == "SMS"
    assert sms.payload["destino"] == account.celular
    code = _last_code(redis_client)
    stored = redis_client.hgetall(otp_key(account.id, OtpPurpose.CONTA_BANCARIA))
    assert code.encode() not in b"".join(stored.values())
    assert 300 < redis_client.ttl(otp_key(account.id, OtpPurpose.CONTA_BANCARIA)) <= 3900

    verify_otp(redis_client, user_id=account.id, purpose=OtpPurpose.CONTA_BANCARIA, code=code)
    used = _refusal(redis_client, account.id, code)
    assert (used.status_code, used.code) == (400, "otp_ja_utilizado")


def test_unknown_purpose_is_422(client: TestClient) -> None:
    account = signup(client)
    login(client, account)
    response = client.post("/v1/auth/otp", headers=account.headers, json={"finalidade": "pix"})
    assert response.status_code == 422


def test_wrong_codes_count_down_then_lock(redis_client: redis.Redis) -> None:
    user = uuid.uuid4()
    code = _issue(redis_client, user, OtpPurpose.CONTA_BANCARIA)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    first = _refusal(redis_client, user, wrong)
    assert (first.status_code, first.code) == (400, "otp_incorreto")
    assert "Restam 4 tentativas" in first.message
    for left in (3, 2, 1):
        assert f"{left} tentativa" in _refusal(redis_client, user, wrong).message
    locked = _refusal(redis_client, user, wrong)
    assert (locked.status_code, locked.code) == (429, "otp_tentativas_esgotadas")
    assert locked.headers and "Retry-After" in locked.headers
    # Even the right code is refused now; a new code starts over.
    assert _refusal(redis_client, user, code).code == "otp_tentativas_esgotadas"
    fresh = _issue(redis_client, user, OtpPurpose.CONTA_BANCARIA)
    verify_otp(redis_client, user_id=user, purpose=OtpPurpose.CONTA_BANCARIA, code=fresh)


def test_expired_missing_malformed_and_other_purpose(redis_client: redis.Redis) -> None:
    user = uuid.uuid4()
    missing = _refusal(redis_client, user, "123456")
    assert (missing.status_code, missing.code) == (400, "otp_inexistente")

    code = _issue(redis_client, user, OtpPurpose.CONTA_BANCARIA)
    other = _refusal(redis_client, user, code, purpose=OtpPurpose.SAQUE)
    assert other.code == "otp_inexistente"
    for malformed in ("12345", "1234567", "12a456", "١٢٣٤٥٦"):
        bad = _refusal(redis_client, user, malformed)
        assert (bad.status_code, bad.code) == (400, "otp_formato")

    redis_client.hset(otp_key(user, OtpPurpose.CONTA_BANCARIA), "expires_at", 0)
    expired = _refusal(redis_client, user, code)
    assert (expired.status_code, expired.code) == (400, "otp_expirado")
    assert expired.message == "O código de verificação expirou. Solicite um novo código."


def test_a_new_code_replaces_the_previous_one(redis_client: redis.Redis) -> None:
    user = uuid.uuid4()
    old = _issue(redis_client, user, OtpPurpose.SAQUE)
    new = _issue(redis_client, user, OtpPurpose.SAQUE)
    if old != new:
        assert _refusal(redis_client, user, old, purpose=OtpPurpose.SAQUE).code == "otp_incorreto"
    verify_otp(redis_client, user_id=user, purpose=OtpPurpose.SAQUE, code=new)


def test_verifications_are_rate_limited_per_user(redis_client: redis.Redis) -> None:
    user = uuid.uuid4()
    limits = RateLimits(otp_verify_user=Rule(2, 60))
    for _ in range(2):
        with pytest.raises(ApiError) as info:
            verify_otp(
                redis_client,
                user_id=user,
                purpose=OtpPurpose.SAQUE,
                code="000000",
                limits=limits,
            )
        assert info.value.code == "otp_inexistente"
    with pytest.raises(ApiError) as info:
        verify_otp(
            redis_client, user_id=user, purpose=OtpPurpose.SAQUE, code="000000", limits=limits
        )
    assert (info.value.status_code, info.value.code) == (429, "muitas_tentativas")


def test_otp_requests_are_rate_limited_per_user(client: TestClient, app: FastAPI) -> None:
    account = signup(client)
    login(client, account)
    app.state.rate_limits = RateLimits(otp_request_user=Rule(2, 60))
    codes = [
        client.post(
            "/v1/auth/otp", headers=account.headers, json={"finalidade": "saque"}
        ).status_code
        for _ in range(3)
    ]
    assert codes == [202, 202, 429]
