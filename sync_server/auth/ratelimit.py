"""Sliding-window rate limits in Redis, keys ``ratelimit:{scope}:{id}``.

Each key is a sorted set of attempt timestamps (milliseconds, Redis server clock). One Lua script
trims the window, counts and (optionally) records the attempt atomically, so limits hold across
any number of server processes. Over the limit the caller gets a 429 with ``Retry-After`` (seconds
until enough attempts leave the window).

The limits are a frozen :class:`RateLimits` with production defaults; an app can override them by
setting ``app.state.rate_limits`` (tests use short windows).
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass, field
from typing import Annotated, Final

import redis
from fastapi import Depends, Request

from sync_server.errors import ApiError


@dataclass(frozen=True)
class Rule:
    limit: int
    window_s: float

    @property
    def window_ms(self) -> int:
        return max(1, int(self.window_s * 1000))


@dataclass(frozen=True)
class RateLimits:
    # Every login attempt from one IP (NATs of cooperatives share IPs: keep it generous).
    login_ip: Rule = field(default_factory=lambda: Rule(30, 15 * 60))
    # Failed logins on one account; once reached, even the right password waits for the window.
    login_account: Rule = field(default_factory=lambda: Rule(5, 15 * 60))
    signup_ip: Rule = field(default_factory=lambda: Rule(10, 60 * 60))
    otp_request_user: Rule = field(default_factory=lambda: Rule(3, 10 * 60))
    otp_request_ip: Rule = field(default_factory=lambda: Rule(10, 10 * 60))
    otp_verify_user: Rule = field(default_factory=lambda: Rule(10, 15 * 60))
    # Failed current-password checks on a password change (a stolen session guessing).
    password_change_user: Rule = field(default_factory=lambda: Rule(5, 15 * 60))


DEFAULT_RATE_LIMITS: Final = RateLimits()

# KEYS[1]: key. ARGV: limit, window_ms, member, mode (0 = peek, 1 = take if allowed, 2 = record).
# Returns {allowed (1/0), retry_after_ms}.
_SCRIPT: Final = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local mode = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if mode == 2 then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, 0}
end
if count >= limit then
  local entry = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
  local retry = tonumber(entry[2]) + window - now
  if retry < 1 then retry = 1 end
  return {0, retry}
end
if mode == 1 then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
end
return {1, 0}
"""

_MESSAGES: Final = {
    "login_ip": "Muitas tentativas de login a partir desta rede.",
    "login_conta": "Muitas tentativas de login nesta conta.",
    "cadastro_ip": "Muitos cadastros a partir desta rede.",
    "otp_pedido_usuario": "Muitos pedidos de código de verificação.",
    "otp_pedido_ip": "Muitos pedidos de código de verificação a partir desta rede.",
    "otp_verificacao": "Muitas tentativas de verificação de código.",
    "senha_usuario": "Muitas tentativas de troca de senha com a senha atual incorreta.",
}


def key(scope: str, ident: str) -> str:
    return f"ratelimit:{scope}:{ident}"


class RateLimited(ApiError):
    def __init__(self, scope: str, retry_after_s: int) -> None:
        reason = _MESSAGES.get(scope, "Muitas requisições.")
        super().__init__(
            429,
            "muitas_tentativas",
            f"{reason} Aguarde {_wait_text(retry_after_s)} e tente novamente.",
            headers={"Retry-After": str(retry_after_s)},
        )
        self.scope = scope
        self.retry_after_s = retry_after_s


def _wait_text(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} segundo{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minuto{'s' if minutes != 1 else ''}"


def _run(client: redis.Redis, scope: str, ident: str, rule: Rule, mode: int) -> tuple[bool, int]:
    allowed, retry_ms = client.eval(
        _SCRIPT, 1, key(scope, ident), rule.limit, rule.window_ms, secrets.token_hex(8), mode
    )
    return bool(allowed), int(retry_ms)


def _raise_if_refused(scope: str, result: tuple[bool, int]) -> None:
    allowed, retry_ms = result
    if not allowed:
        raise RateLimited(scope, max(1, math.ceil(retry_ms / 1000)))


def take(client: redis.Redis, *, scope: str, ident: str, rule: Rule) -> None:
    """Count one attempt; raise :class:`RateLimited` (429) if the window is already full."""
    _raise_if_refused(scope, _run(client, scope, ident, rule, 1))


def ensure_below(client: redis.Redis, *, scope: str, ident: str, rule: Rule) -> None:
    """Raise :class:`RateLimited` if the window is full, without counting an attempt."""
    _raise_if_refused(scope, _run(client, scope, ident, rule, 0))


def record(client: redis.Redis, *, scope: str, ident: str, rule: Rule) -> None:
    """Count one attempt unconditionally (e.g. a failed password)."""
    _run(client, scope, ident, rule, 2)


def clear(client: redis.Redis, *, scope: str, ident: str) -> None:
    client.delete(key(scope, ident))


async def get_rate_limits(request: Request) -> RateLimits:
    # async: a sync dependency would cost a thread-pool hop on every request
    limits = getattr(request.app.state, "rate_limits", None)
    return limits if isinstance(limits, RateLimits) else DEFAULT_RATE_LIMITS


RateLimitsDep = Annotated[RateLimits, Depends(get_rate_limits)]


def client_ip(request: Request) -> str:
    """The peer address (uvicorn's ``--proxy-headers`` resolves it behind a trusted proxy)."""
    return request.client.host if request.client else "desconhecido"
