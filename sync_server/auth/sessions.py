"""Opaque session tokens stored hashed in Redis under the specification's ``session:{userId}``.

Key model: ``session:{userId}`` is a HASH mapping ``session_id`` to a JSON object
``{token_hash, perfil, device_id, device_name, created, last_seen, ip, user_agent}``.

The token handed to the client is ``{user_id.hex}.{session_id}.{secret}`` where ``secret`` is
``secrets.token_urlsafe(32)`` (256 random bits). The token carries its own lookup address, so
authenticating is one ``HGET session:{userId} {session_id}`` plus a constant-time comparison of
``sha256(token)`` with the stored hash: no PostgreSQL, no scan. Redis only ever holds the hash.

Expiry: a session dies after ``idle_ttl_s`` without use (sliding; ``last_seen`` is refreshed at
most every ``touch_interval_s`` to keep reads cheap) or ``absolute_ttl_s`` after login, whichever
comes first. The hash key's own TTL follows the most recently active session, so a user's key
disappears by itself once every session has been idle long enough. Revoking is ``HDEL`` (one
session) or ``DEL`` (all of them: log out everywhere, password change, account deletion).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Annotated, Any, Final, NamedTuple

import redis
from fastapi import Depends, Request

from shared_models.enums import Perfil
from sync_server.auth.passwords import same_secret
from sync_server.auth.resp import RespClient


@dataclass(frozen=True)
class SessionPolicy:
    idle_ttl_s: int = 30 * 24 * 3600
    absolute_ttl_s: int = 90 * 24 * 3600
    touch_interval_s: int = 60
    max_sessions: int = 20


DEFAULT_SESSION_POLICY: Final = SessionPolicy()


@dataclass(frozen=True)
class SessionRecord:
    session_id: str
    user_id: uuid.UUID
    perfil: Perfil
    device_id: uuid.UUID | None
    device_name: str | None
    created: float
    last_seen: float
    ip: str | None
    user_agent: str | None
    token_hash: str

    def to_json(self) -> str:
        return json.dumps(
            {
                "token_hash": self.token_hash,
                "perfil": self.perfil.value,
                "device_id": str(self.device_id) if self.device_id else None,
                "device_name": self.device_name,
                "created": self.created,
                "last_seen": self.last_seen,
                "ip": self.ip,
                "user_agent": self.user_agent,
            },
            separators=(",", ":"),
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, user_id: uuid.UUID, session_id: str, raw: bytes | str) -> SessionRecord:
        return cls.from_dict(user_id, session_id, _loads(raw))

    @classmethod
    def from_dict(cls, user_id: uuid.UUID, session_id: str, data: dict[str, Any]) -> SessionRecord:
        return cls(
            session_id=session_id,
            user_id=user_id,
            perfil=_perfil(data),
            device_id=_device_id(data),
            device_name=data.get("device_name"),
            created=float(data["created"]),
            last_seen=float(data["last_seen"]),
            ip=data.get("ip"),
            user_agent=data.get("user_agent"),
            token_hash=str(data["token_hash"]),
        )

    def expired(self, policy: SessionPolicy, now: float) -> bool:
        return _expired(policy, now, created=self.created, last_seen=self.last_seen)


class LiveSession(NamedTuple):
    """What an authenticated request needs from its session (see :func:`authenticate`)."""

    user_id: uuid.UUID
    session_id: str
    perfil: Perfil
    device_id: uuid.UUID | None


def _expired(policy: SessionPolicy, now: float, *, created: float, last_seen: float) -> bool:
    return now - last_seen > policy.idle_ttl_s or now - created > policy.absolute_ttl_s


def _loads(raw: bytes | str) -> dict[str, Any]:
    # str: json.loads would otherwise sniff the encoding of the bytes on every request
    data: dict[str, Any] = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
    return data


def _perfil(data: dict[str, Any]) -> Perfil:
    return _PERFIS.get(data["perfil"]) or Perfil(data["perfil"])


def _device_id(data: dict[str, Any]) -> uuid.UUID | None:
    return _parse_uuid(data["device_id"]) if data.get("device_id") else None


# Pure conversions of the authenticated hot path, memoised: the same users and devices come back
# request after request, and each conversion costs several times a cache lookup.
@functools.lru_cache(maxsize=8192)
def uuid_text(value: uuid.UUID) -> str:
    """``str(value)``: the canonical text of a UUID."""
    return str(value)


@functools.lru_cache(maxsize=8192)
def _parse_uuid(text: str) -> uuid.UUID:
    return uuid.UUID(text)


_PERFIS: Final = {p.value: p for p in Perfil}


def session_key(user_id: uuid.UUID) -> str:
    return "session:" + uuid_text(user_id)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# Write a session field and make sure the key lives at least ARGV[3] seconds.
_CREATE: Final = """
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local ttl = redis.call('TTL', KEYS[1])
if ttl < tonumber(ARGV[3]) then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
return 1
"""

# Refresh a session only if it still exists with the same token hash (a touch racing a revoke
# must not bring the session back).
_TOUCH: Final = """
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 0 end
if cjson.decode(raw)['token_hash'] ~= ARGV[4] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local ttl = redis.call('TTL', KEYS[1])
if ttl < tonumber(ARGV[3]) then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
return 1
"""


def _key_ttl(policy: SessionPolicy) -> int:
    return min(policy.idle_ttl_s, policy.absolute_ttl_s)


def create_session(
    client: redis.Redis,
    *,
    user_id: uuid.UUID,
    perfil: Perfil,
    device_id: uuid.UUID | None,
    device_name: str | None,
    ip: str | None,
    user_agent: str | None,
    policy: SessionPolicy = DEFAULT_SESSION_POLICY,
) -> tuple[str, SessionRecord]:
    """A new session; returns the token (shown once to the client) and the stored record."""
    session_id = secrets.token_urlsafe(12)
    token = f"{user_id.hex}.{session_id}.{secrets.token_urlsafe(32)}"
    now = time.time()
    record = SessionRecord(
        session_id=session_id,
        user_id=user_id,
        perfil=perfil,
        device_id=device_id,
        device_name=device_name,
        created=now,
        last_seen=now,
        ip=ip,
        user_agent=(user_agent or "")[:200] or None,
        token_hash=token_hash(token),
    )
    client.eval(_CREATE, 1, session_key(user_id), session_id, record.to_json(), _key_ttl(policy))
    _enforce_max_sessions(client, user_id=user_id, policy=policy, keep=session_id)
    return token, record


def _enforce_max_sessions(
    client: redis.Redis, *, user_id: uuid.UUID, policy: SessionPolicy, keep: str
) -> None:
    if client.hlen(session_key(user_id)) <= policy.max_sessions:
        return
    sessions = list_sessions(client, user_id=user_id, policy=policy)
    excess = len(sessions) - policy.max_sessions
    oldest = [
        s.session_id for s in sorted(sessions, key=lambda s: s.last_seen) if s.session_id != keep
    ]
    if excess > 0:
        client.hdel(session_key(user_id), *oldest[:excess])


def parse_token(token: str) -> tuple[uuid.UUID, str] | None:
    """The (user id, session id) a token points at, or None when it is not shaped like one."""
    parts = token.split(".")
    if len(parts) != 3 or not all(parts) or len(token) > 200 or len(parts[0]) != 32:
        return None
    try:
        user_id = _parse_uuid(parts[0])
    except ValueError:
        return None
    return user_id, parts[1]


class _Verdict(NamedTuple):
    """What to do with a stored session after checking a token against it."""

    session: LiveSession | None
    delete: bool = False
    touch: SessionRecord | None = None  # the record to write back with a new last_seen


_REFUSED: Final = _Verdict(None)


def _judge(
    user_id: uuid.UUID,
    session_id: str,
    raw: bytes | str | None,
    token: str,
    policy: SessionPolicy,
) -> _Verdict:
    if raw is None:
        return _REFUSED
    data = _loads(raw)
    if not same_secret(str(data["token_hash"]), token_hash(token)):
        return _REFUSED
    now = time.time()
    created, last_seen = float(data["created"]), float(data["last_seen"])
    if _expired(policy, now, created=created, last_seen=last_seen):
        return _Verdict(None, delete=True)
    session = LiveSession(user_id, session_id, _perfil(data), _device_id(data))
    if now - last_seen >= policy.touch_interval_s:
        record = SessionRecord.from_dict(user_id, session_id, data)
        return _Verdict(session, touch=dataclasses.replace(record, last_seen=now))
    return _Verdict(session)


def _touch_args(record: SessionRecord, policy: SessionPolicy) -> tuple[Any, ...]:
    return (
        _TOUCH,
        1,
        session_key(record.user_id),
        record.session_id,
        record.to_json(),
        _key_ttl(policy),
        record.token_hash,
    )


def authenticate(
    client: redis.Redis, token: str, *, policy: SessionPolicy = DEFAULT_SESSION_POLICY
) -> LiveSession | None:
    """The live session a token belongs to, or None (unknown, revoked, expired, forged).

    An expired session is deleted; ``last_seen`` is refreshed at most every
    ``policy.touch_interval_s``.
    """
    address = parse_token(token)
    if address is None:
        return None
    user_id, session_id = address
    raw = client.hget(session_key(user_id), session_id)
    verdict = _judge(user_id, session_id, raw, token, policy)
    if verdict.delete:
        client.hdel(session_key(user_id), session_id)
    if verdict.touch is not None:
        client.eval(*_touch_args(verdict.touch, policy))
    return verdict.session


async def authenticate_async(
    client: RespClient, token: str, *, policy: SessionPolicy = DEFAULT_SESSION_POLICY
) -> LiveSession | None:
    """:func:`authenticate` on the event loop's Redis client (no thread hop on the request path).

    Each command is bounded by the client's timeout; failures raise redis-py's exceptions.
    """
    address = parse_token(token)
    if address is None:
        return None
    user_id, session_id = address
    raw = await client.hget(session_key(user_id), session_id)
    verdict = _judge(user_id, session_id, raw, token, policy)
    if verdict.delete:
        await client.hdel(session_key(user_id), session_id)
    if verdict.touch is not None:
        await client.eval(*_touch_args(verdict.touch, policy))
    return verdict.session


def list_sessions(
    client: redis.Redis, *, user_id: uuid.UUID, policy: SessionPolicy = DEFAULT_SESSION_POLICY
) -> list[SessionRecord]:
    """Live sessions, most recently used first; expired ones are removed on the way."""
    raw: dict[bytes, bytes] = client.hgetall(session_key(user_id))  # type: ignore[assignment]
    now = time.time()
    live: list[SessionRecord] = []
    dead: list[SessionRecord] = []
    for field, value in raw.items():
        session_id = field.decode()
        record = SessionRecord.from_json(user_id, session_id, value)
        (dead if record.expired(policy, now) else live).append(record)
    if dead:
        client.hdel(session_key(user_id), *[r.session_id for r in dead])
    return sorted(live, key=lambda r: r.last_seen, reverse=True)


def revoke_session(client: redis.Redis, *, user_id: uuid.UUID, session_id: str) -> bool:
    """Remove one session; False when it did not exist."""
    return bool(client.hdel(session_key(user_id), session_id))


def revoke_all_sessions(client: redis.Redis, *, user_id: uuid.UUID) -> int:
    """Remove every session of the user (log out everywhere, password change, deletion)."""
    pipe = client.pipeline(transaction=True)
    pipe.hlen(session_key(user_id))
    pipe.delete(session_key(user_id))
    removed, _ = pipe.execute()
    return int(removed)


def session_policy_of(request: Request) -> SessionPolicy:
    """The app's policy: ``app.state.session_policy`` when set (tests), else the defaults."""
    policy = getattr(request.app.state, "session_policy", None)
    return policy if isinstance(policy, SessionPolicy) else DEFAULT_SESSION_POLICY


async def get_session_policy(request: Request) -> SessionPolicy:
    # async: a sync dependency would cost a thread-pool hop on every request
    return session_policy_of(request)


SessionPolicyDep = Annotated[SessionPolicy, Depends(get_session_policy)]
