"""One-time codes (OTP) confirming sensitive operations (bank accounts now, withdrawals later).

A code is 6 random digits (``secrets``), sent by SMS through the notification queue (sandbox
sender) and bound to one user and one purpose. Redis keeps, under ``otp:{userId}:{purpose}``, a
HASH with a random salt, ``HMAC-SHA256(salt, code)`` (never the code), the number of wrong tries,
the expiry time and a used flag. A code is valid for ``ttl_s`` (5 minutes) and allows
``max_tries`` (5) wrong attempts; the key itself lingers one hour more so that a late attempt gets a
precise answer ("expired", "already used") instead of "no code". A new request replaces the
previous code (and its try counter) — requests are rate-limited per user and per IP.

:func:`verify_otp` is what an operation calls before acting; it consumes the code on success.
Errors (Portuguese, codes in parentheses): no code (``otp_inexistente``, 400), malformed
(``otp_formato``, 400), wrong (``otp_incorreto``, 400, with tries left), expired
(``otp_expirado``, 400), already used (``otp_ja_utilizado``, 400), too many wrong tries
(``otp_tentativas_esgotadas``, 429) and too many verifications (``muitas_tentativas``, 429).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

import redis

from shared_models.enums import CanalNotificacao
from sync_server.auth import ratelimit
from sync_server.errors import ApiError
from sync_server.notifications.service import Message, queue_notification

__all__ = [
    "OTP_MAX_TRIES",
    "OTP_TTL_S",
    "OtpIssued",
    "OtpPurpose",
    "otp_key",
    "request_otp",
    "verify_otp",
]

OTP_TTL_S: Final = 5 * 60
OTP_MAX_TRIES: Final = 5
_GRACE_S: Final = 60 * 60
CODE_LENGTH: Final = 6


class OtpPurpose(StrEnum):
    CONTA_BANCARIA = "conta_bancaria"
    SAQUE = "saque"


_PURPOSE_TEXT: Final = {
    OtpPurpose.CONTA_BANCARIA: "cadastrar ou alterar uma conta bancária",
    OtpPurpose.SAQUE: "confirmar um saque",
}


@dataclass(frozen=True)
class OtpIssued:
    purpose: OtpPurpose
    expires_in_s: int
    job_id: str


def otp_key(user_id: uuid.UUID, purpose: OtpPurpose) -> str:
    return f"otp:{user_id}:{purpose.value}"


def _digest(salt: str, code: str) -> str:
    return hmac.new(salt.encode(), code.encode(), hashlib.sha256).hexdigest()


def generate_code() -> str:
    return f"{secrets.randbelow(10**CODE_LENGTH):0{CODE_LENGTH}d}"


def request_otp(
    client: redis.Redis,
    *,
    user_id: uuid.UUID,
    purpose: OtpPurpose,
    mobile: str,
    ttl_s: int = OTP_TTL_S,
    max_tries: int = OTP_MAX_TRIES,
) -> OtpIssued:
    """Issue a new code for ``purpose`` (replacing any previous one) and queue it by SMS."""
    code = generate_code()
    salt = secrets.token_hex(16)
    key = otp_key(user_id, purpose)
    pipe = client.pipeline(transaction=True)
    pipe.delete(key)
    pipe.hset(
        key,
        mapping={
            "salt": salt,
            "code_hash": _digest(salt, code),
            "tries": 0,
            "max_tries": max_tries,
            "expires_at": time.time() + ttl_s,
            "used": 0,
        },
    )
    pipe.expire(key, ttl_s + _GRACE_S)
    pipe.execute()
    minutes = max(1, ttl_s // 60)
    job = queue_notification(
        client,
        Message(
            canal=CanalNotificacao.SMS,
            destino=mobile,
            tipo="otp",
            assunto="Código de verificação Peerseed",
            corpo=(
                f"Peerseed: seu código para {_PURPOSE_TEXT[purpose]} é {code}. "
                f"Ele vale {minutes} minuto{'s' if minutes != 1 else ''}. "
                "Não compartilhe este código com ninguém."
            ),
            usuario_id=user_id,
        ),
    )
    return OtpIssued(purpose=purpose, expires_in_s=ttl_s, job_id=job.id)


# KEYS[1] otp key; ARGV[1] candidate digest, ARGV[2] now (epoch seconds).
_VERIFY: Final = """
local h = redis.call('HMGET', KEYS[1], 'code_hash', 'tries', 'expires_at', 'used', 'max_tries')
if not h[1] then return {'inexistente', 0} end
if h[4] == '1' then return {'usado', 0} end
if tonumber(ARGV[2]) > tonumber(h[3]) then return {'expirado', 0} end
local max = tonumber(h[5])
if tonumber(h[2]) >= max then return {'esgotado', 0} end
if h[1] == ARGV[1] then
  redis.call('HSET', KEYS[1], 'used', '1')
  return {'ok', 0}
end
local tries = redis.call('HINCRBY', KEYS[1], 'tries', 1)
if tries >= max then return {'esgotado', 0} end
return {'incorreto', max - tries}
"""


def _otp_error(status: int, code: str, message: str) -> ApiError:
    headers = {"Retry-After": "60"} if status == 429 else None
    return ApiError(status, code, message, headers=headers)


def verify_otp(
    client: redis.Redis,
    *,
    user_id: uuid.UUID,
    purpose: OtpPurpose,
    code: str,
    limits: ratelimit.RateLimits = ratelimit.DEFAULT_RATE_LIMITS,
) -> None:
    """Check and consume the user's code for ``purpose``; raise :class:`ApiError` if refused.

    Call it inside the operation it protects, before changing anything.
    """
    ratelimit.take(client, scope="otp_verificacao", ident=str(user_id), rule=limits.otp_verify_user)
    code = code.strip()
    if len(code) != CODE_LENGTH or not code.isascii() or not code.isdigit():
        raise _otp_error(400, "otp_formato", "O código de verificação deve ter 6 dígitos.")
    key = otp_key(user_id, purpose)
    salt = client.hget(key, "salt")
    if salt is None:
        outcome, left = "inexistente", 0
    else:
        salt_text = salt.decode() if isinstance(salt, bytes) else str(salt)
        raw_outcome, left = client.eval(_VERIFY, 1, key, _digest(salt_text, code), time.time())
        outcome = raw_outcome.decode() if isinstance(raw_outcome, bytes) else str(raw_outcome)
    if outcome == "ok":
        return
    if outcome == "inexistente":
        raise _otp_error(
            400,
            "otp_inexistente",
            "Nenhum código de verificação ativo para esta operação. Solicite um novo código.",
        )
    if outcome == "usado":
        raise _otp_error(
            400,
            "otp_ja_utilizado",
            "Este código de verificação já foi utilizado. Solicite um novo código.",
        )
    if outcome == "expirado":
        raise _otp_error(
            400, "otp_expirado", "O código de verificação expirou. Solicite um novo código."
        )
    if outcome == "esgotado":
        raise _otp_error(
            429,
            "otp_tentativas_esgotadas",
            "Número máximo de tentativas excedido para este código. Solicite um novo código.",
        )
    left = int(left)
    raise _otp_error(
        400,
        "otp_incorreto",
        f"Código de verificação incorreto. Resta{'m' if left != 1 else ''} {left} "
        f"tentativa{'s' if left != 1 else ''}.",
    )
