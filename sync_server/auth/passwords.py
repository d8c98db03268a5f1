"""Password hashing (Argon2id) and the password policy.

Policy (each rule has its own Portuguese message; none repeats the password):

- at least ``MIN_LENGTH`` (10) and at most ``MAX_LENGTH`` (128) characters;
- not one repeated character, not equal to / containing the CPF (any 11-digit form), not containing
  the local part of the e-mail (when it has 4+ characters);
- not a common password: the lowercased password is not in ``resources/common_passwords.txt``,
  nor a listed word followed only by digits and/or symbols ("flamengo2024!").

Hashing uses argon2-cffi's ``PasswordHasher`` (Argon2id, RFC 9106 low-memory profile by default).
"""

from __future__ import annotations

import contextlib
import functools
import hmac
import importlib.resources
import re
from collections.abc import Iterator
from typing import Final

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH: Final = 10
MAX_LENGTH: Final = 128
_SUFFIX: Final = re.compile(r"[0-9!@#$%&*._\-+=?]+$")


class WeakPasswordError(ValueError):
    """The password breaks the policy. ``code`` is machine-readable; ``message`` is Portuguese."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@functools.cache
def common_passwords() -> frozenset[str]:
    text = (
        importlib.resources.files("sync_server.auth")
        .joinpath("resources/common_passwords.txt")
        .read_text(encoding="utf-8")
    )
    return frozenset(
        line.strip().lower()
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    )


def check_password_policy(
    password: str, *, cpf: str | None = None, email: str | None = None
) -> None:
    """Raise :class:`WeakPasswordError` when ``password`` breaks the policy."""
    if len(password) < MIN_LENGTH:
        raise WeakPasswordError(
            "senha_curta", f"A senha deve ter pelo menos {MIN_LENGTH} caracteres."
        )
    if len(password) > MAX_LENGTH:
        raise WeakPasswordError(
            "senha_longa", f"A senha deve ter no máximo {MAX_LENGTH} caracteres."
        )
    if len(set(password)) == 1:
        raise WeakPasswordError(
            "senha_repetitiva", "A senha não pode ser um único caractere repetido."
        )
    lowered = password.lower()
    if cpf:
        digits_only = re.sub(r"\D", "", password)
        if cpf in digits_only:
            raise WeakPasswordError("senha_contem_cpf", "A senha não pode conter o seu CPF.")
    if email:
        local = email.split("@", 1)[0].lower()
        if lowered == email.lower() or (len(local) >= 4 and local in lowered):
            raise WeakPasswordError("senha_contem_email", "A senha não pode conter o seu e-mail.")
    common = common_passwords()
    base = _SUFFIX.sub("", lowered)
    if lowered in common or (base and base in common):
        raise WeakPasswordError(
            "senha_comum",
            "Esta senha é comum demais e fácil de adivinhar. Escolha outra.",
        )


@functools.cache
def _default_hasher() -> PasswordHasher:
    return PasswordHasher()  # Argon2id with argon2-cffi's RFC 9106 low-memory parameters


_override: list[PasswordHasher] = []


def _hasher() -> PasswordHasher:
    return _override[-1] if _override else _default_hasher()


@contextlib.contextmanager
def hasher_profile(*, time_cost: int, memory_cost: int, parallelism: int) -> Iterator[None]:
    """Use a cheaper Argon2id profile inside the block (test suites only; never in production)."""
    _override.append(
        PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_cost,
            parallelism=parallelism,
            type=Type.ID,
        )
    )
    try:
        yield
    finally:
        _override.pop()


_dummy_hashes: dict[tuple[int, int, int], str] = {}


def _dummy_hash() -> str:
    hasher = _hasher()
    params = (hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    if params not in _dummy_hashes:
        _dummy_hashes[params] = hasher.hash("peerseed-dummy-password-for-timing")
    return _dummy_hashes[params]


def default_parameters() -> tuple[Type, int, int, int]:
    """(type, time cost, memory KiB, parallelism) of the production profile."""
    hasher = _default_hasher()
    return hasher.type, hasher.time_cost, hasher.memory_cost, hasher.parallelism


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches ``stored_hash``.

    With ``stored_hash=None`` (unknown account) a dummy hash is verified so that the answer takes
    as long as for a real account.
    """
    try:
        return _hasher().verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError, ValueError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    try:
        return _hasher().check_needs_rehash(stored_hash)
    except (InvalidHashError, ValueError):
        return True


def same_secret(a: str, b: str) -> bool:
    """Constant-time comparison of two secrets (or their hashes)."""
    return hmac.compare_digest(a.encode(), b.encode())
