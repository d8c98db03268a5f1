"""Masking of personal and secret data before it is written anywhere (logs, error reports).

Pure functions, no I/O, no Qt/FastAPI/Redis/psycopg: the server's logging pipeline and the desktop
app both use them.

* :func:`mask_text` masks free text (log messages, tracebacks, query strings, JSON-looking text).
* :func:`mask_data` masks a structure (dicts, lists, tuples, sets, dataclasses, pydantic models,
  any depth) by key *and* by value, and turns it into plain JSON-compatible data: every value it
  cannot put in JSON as is (bytes, ``Decimal``, ``UUID``, dates, arbitrary objects) becomes a
  string. It never raises.

What is masked
--------------
By key (case-insensitive; ``camelCase``, ``kebab-case`` and accents are normalised, so
``senhaAtual``, ``X-Api-Key`` and ``agência`` match):

* passwords, tokens and secrets (``senha``, ``nova_senha``, ``password``, ``passwd``, ``pwd``,
  ``token``, ``access_token``, ``refresh_token``, ``session_token``, ``otp``, ``codigo_otp``,
  ``pin``, ``cvv``, ``secret``, ``api_key``, ``cookie``, ``credential``, ``session`` …) →
  ``***``;
* ``authorization`` → ``Bearer ***`` (the scheme is kept, the credentials are not);
* ``cpf`` → ``123.***.***-09`` (first three and last two digits; ``***`` if not 11 digits);
* card numbers (``cartao``, ``card``, ``card_number``, ``numero_cartao``, ``pan``) → all digits
  but the last four replaced by ``*``;
* bank data (``agencia``, ``agency``, ``conta``, ``account``, ``conta_bancaria``,
  ``numero_conta``, ``iban`` …) → ``***`` plus at most the last two characters (values shorter
  than six characters are fully ``***``). Identifiers and enums *about* an account are not bank
  data and stay readable: a bank/card key with a part ``id``, ``tipo``/``type``, ``status``,
  ``brand``/``bandeira`` (``conta_id``, ``tipo_conta``, ``account_type``) is left alone.

A container under a sensitive key (``{"senha": {"nova": ...}}``) has every leaf masked the same
way. ``None`` and booleans under a secret key are kept (they say nothing about the secret).

In free text (and in every string value, whatever its key):

* ``key=value``, ``key: value``, ``"key": "value"``, ``'key': 'value'`` and JSON escaped inside a
  string (``\\"senha\\": \\"x\\"``) where *key* is any sensitive key above; an unquoted value ends
  at whitespace or one of ``,;&"'<>(){}[]\\``, except that after a CPF, card or bank key a number
  written in groups (``4111 1111 1111 1111``, ``123.456.789-09``) is taken whole;
* ``Bearer <token>`` and ``Basic <credentials>`` anywhere, and anything shaped like a JWT
  (``eyJ….eyJ….…``);
* CPFs: formatted ``123.456.789-09`` anywhere, and any run of exactly 11 digits not glued to
  other digits (valid check digits or not: an 11-digit mobile number is masked too, which is
  personal data anyway);
* card numbers: 13 to 19 digits, optionally grouped with single spaces or dashes, whose first
  digit is 2–6 (Visa, Mastercard, Amex, Elo, Hipercard, Diners, Discover) and which pass the Luhn
  check → only the last four digits kept.

Deliberate limits (to avoid masking what is not personal data)
--------------------------------------------------------------
* Card detection needs the Luhn check and a 2–6 first digit, so epoch timestamps in milliseconds
  (13 digits starting with 1) and about 90% of random 16-digit identifiers are left alone; the
  other ~10% of such identifiers that happen to look like a card *are* masked (we prefer that).
* UUIDs (``8-4-4-4-12`` hex) and hex strings of 32 or more characters (hashes such as the ledger's
  ``hash_atual``) are kept verbatim; a CPF glued *inside* such a hex run is not detected.
* Amounts (``1234.56``, ``1500.00000000``), ISO timestamps and dates are not touched: the
  database's amounts have at most 10 integer digits, so they never look like an 11-digit CPF.
* In free text an *unquoted* secret ends at the first space or delimiter (``senha: a b`` leaks
  ``b``); quoted values and values in structures are masked whole. Conversely ``Basic <word>``
  in prose is masked even when it is not a credential.
* A secret passed as a bare positional argument (``log.info("login %s", senha)``) cannot be
  recognised in the text; pass it under a key in the payload, where it is masked by key.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import lru_cache
from typing import Any, Final
from uuid import UUID

__all__ = [
    "MASK",
    "SensitiveKind",
    "classify_key",
    "luhn_valid",
    "mask_data",
    "mask_text",
    "mask_value",
]

MASK: Final = "***"

_MAX_DEPTH: Final = 32
"""Deeper structures are cut (``"<truncated>"``) rather than recursed into."""


class SensitiveKind(enum.Enum):
    """What a sensitive key holds; decides how its value is masked."""

    SECRET = "secret"  # noqa: S105 - a category label, not a password
    AUTHORIZATION = "authorization"
    CPF = "cpf"
    CARD = "card"
    BANK = "bank"


# --------------------------------------------------------------------------------------------
# Key classification
# --------------------------------------------------------------------------------------------

# Matched anywhere in the key with separators removed ("novaSenha" -> "novasenha").
_SECRET_SUBSTRINGS: Final = (
    "senha",
    "password",
    "passwd",
    "passphrase",
    "secret",
    "segredo",
    "token",
    "apikey",
    "cookie",
    "credential",
    "credencial",
    "privatekey",
    "chaveprivada",
    "sessionid",
    "jwt",
)
# Matched as a whole part of the key ("codigo_otp" -> ["codigo", "otp"]).
_SECRET_PARTS: Final = frozenset(
    {
        "pwd",
        "pass",
        "otp",
        "totp",
        "hotp",
        "pin",
        "cvv",
        "cvv2",
        "cvc",
        "cvc2",
        "csc",
        "cvn",
        "session",
        "sessao",
    }
)
_CARD_PARTS: Final = frozenset({"card", "cards", "cartao", "cartoes", "pan"})
_CARD_SUBSTRINGS: Final = ("cardnumber", "creditcard", "debitcard", "numerocartao", "ccnum")
_BANK_PARTS: Final = frozenset(
    {"agencia", "agencias", "agency", "conta", "contas", "account", "accounts", "iban", "acct"}
)
_BANK_SUBSTRINGS: Final = (
    "contabancaria",
    "bankaccount",
    "numeroconta",
    "accountnumber",
    "contacorrente",
    "contapoupanca",
    "routingnumber",
)
# A key about an account/card rather than holding its number: "conta_id", "tipo_conta".
_NOT_A_NUMBER_PARTS: Final = frozenset(
    {"id", "ids", "uuid", "tipo", "type", "status", "brand", "bandeira", "principal"}
)

_CAMEL_BOUNDARY: Final = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_ALNUM: Final = re.compile(r"[^a-z0-9]+")


def _key_parts(key: str) -> list[str]:
    decomposed = unicodedata.normalize("NFKD", key)
    ascii_key = "".join(c for c in decomposed if not unicodedata.combining(c))
    spaced = _CAMEL_BOUNDARY.sub("_", ascii_key).lower()
    return [p for p in _NON_ALNUM.split(spaced) if p]


@lru_cache(maxsize=4096)
def classify_key(key: str) -> SensitiveKind | None:
    """The kind of sensitive data a key names, or ``None`` if its value may be logged."""
    parts = _key_parts(key)
    if not parts:
        return None
    compact = "".join(parts)
    part_set = set(parts)
    if "authorization" in compact or "authorisation" in compact:
        return SensitiveKind.AUTHORIZATION
    if any(s in compact for s in _SECRET_SUBSTRINGS) or part_set & _SECRET_PARTS:
        return SensitiveKind.SECRET
    if "cpf" in compact:
        return SensitiveKind.CPF
    about_not_number = bool(part_set & _NOT_A_NUMBER_PARTS)
    if part_set & _CARD_PARTS or any(s in compact for s in _CARD_SUBSTRINGS):
        return None if about_not_number else SensitiveKind.CARD
    if part_set & _BANK_PARTS or any(s in compact for s in _BANK_SUBSTRINGS):
        return None if about_not_number else SensitiveKind.BANK
    return None


# --------------------------------------------------------------------------------------------
# Value maskers (one per kind); all idempotent
# --------------------------------------------------------------------------------------------

_MASKED_CPF: Final = re.compile(r"[0-9]{3}\.\*{3}\.\*{3}-[0-9]{2}")
_MASKED_CARD: Final = re.compile(r"[*\s-]*\*[*\s-]*[0-9]{0,4}")
_AUTH_SCHEME: Final = re.compile(
    r"\s*(Bearer|Basic|Digest|Token|Negotiate|NTLM|ApiKey)\s+\S", re.IGNORECASE
)


def _cpf_mask(digits: str) -> str:
    return f"{digits[:3]}.***.***-{digits[9:]}"


def _only_digits(value: str) -> str:
    return "".join(c for c in value if "0" <= c <= "9")


def _mask_cpf_value(value: str) -> str:
    if _MASKED_CPF.fullmatch(value.strip()):
        return value
    digits = _only_digits(value)
    return _cpf_mask(digits) if len(digits) == 11 else MASK


def _mask_card_value(value: str) -> str:
    if _MASKED_CARD.fullmatch(value.strip()):
        return value
    digits = _only_digits(value)
    if len(digits) < 12 or any(c.isalpha() for c in value):
        return MASK
    return _keep_last_digits(value, 4)


def _keep_last_digits(value: str, keep: int) -> str:
    """``value`` with every ASCII digit but the last ``keep`` ones replaced by ``*``."""
    remaining = len(_only_digits(value))
    out = []
    for c in value:
        if "0" <= c <= "9":
            out.append(c if remaining <= keep else "*")
            remaining -= 1
        else:
            out.append(c)
    return "".join(out)


def _mask_bank_value(value: str) -> str:
    stripped = value.strip()
    if stripped.startswith(MASK):
        return value
    return MASK + stripped[-2:] if len(stripped) >= 6 else MASK


def _mask_authorization_value(value: str) -> str:
    match = _AUTH_SCHEME.match(value)
    return f"{match.group(1)} {MASK}" if match else MASK


def _mask_secret_value(_: str) -> str:
    return MASK


_MASKERS: Final[dict[SensitiveKind, Callable[[str], str]]] = {
    SensitiveKind.SECRET: _mask_secret_value,
    SensitiveKind.AUTHORIZATION: _mask_authorization_value,
    SensitiveKind.CPF: _mask_cpf_value,
    SensitiveKind.CARD: _mask_card_value,
    SensitiveKind.BANK: _mask_bank_value,
}


def luhn_valid(digits: str) -> bool:
    """Whether a string of ASCII digits passes the Luhn (mod 10) check used by card numbers."""
    if not digits or not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = ord(c) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


# --------------------------------------------------------------------------------------------
# Free text
# --------------------------------------------------------------------------------------------

# Alternatives are tried left to right at each position; the first that matches wins.
_SCAN: Final = re.compile(
    r"""
    (?P<uuid>(?<![0-9A-Za-z])[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}
        (?![0-9A-Za-z])(?!\.[0-9]))
  | (?P<hex>(?<![0-9A-Za-z])[0-9A-Fa-f]{32,}(?![0-9A-Za-z])(?!\.[0-9]))
  | (?P<jwt>(?<![0-9A-Za-z_\-])eyJ[0-9A-Za-z_\-]+\.eyJ[0-9A-Za-z_\-]+\.[0-9A-Za-z_\-]*)
  | (?P<kv>(?<![0-9A-Za-z_.\-])(?P<key>[A-Za-z_][0-9A-Za-z_.\-]{0,63})
        (?:\\*["'])?[ \t]*[:=][ \t]*)
  | (?P<auth>(?<![0-9A-Za-z])(?P<scheme>[Bb]earer|Basic)(?P<gap>[ \t]+)[^\s"',;<>]+)
  | (?P<cpffmt>[0-9]{3}\.[0-9]{3}\.[0-9]{3}-[0-9]{2})
  | (?P<card>(?<![0-9])(?<![0-9][ -.])[2-6](?:[ -]?[0-9]){12,18}(?![ -]?[0-9])(?!\.[0-9]))
  | (?P<cpf>(?<![0-9])[0-9]{11}(?![0-9]))
    """,
    re.VERBOSE | re.ASCII,
)

# The value after a sensitive "key=" / "key:" (matched at the position right after it).
_VALUE: Final = re.compile(
    r"""
    (?P<bs>\\+)"(?P<esc>.*?)(?P=bs)"
  | "(?P<dq>(?:[^"\\\n]|\\.)*)"
  | '(?P<sq>(?:[^'\\\n]|\\.)*)'
  | (?P<schemed>(?:[Bb]earer|[Bb]asic|[Dd]igest|[Tt]oken|[Nn]egotiate)[ \t]+[^\s"',;]+)
  | (?P<bare>[^\s,;&"'<>(){}\[\]\\]+)
    """,
    re.VERBOSE | re.ASCII,
)

# Digit groups ("4111 1111 1111 1111", "123.456.789-09", "12345-6"): numbers after a card, bank or
# CPF key, which may contain single spaces that would end an ordinary unquoted value.
_NUMERIC_VALUE: Final = re.compile(r"[0-9]+(?:[ ./-][0-9]+)*", re.ASCII)
_NUMERIC_KINDS: Final = frozenset({SensitiveKind.CARD, SensitiveKind.BANK, SensitiveKind.CPF})

_HAS_DIGIT: Final = re.compile(r"[0-9]", re.ASCII)
# Every rule needs a digit, a key separator or a credential scheme; text without any is kept.
_WORTH_SCANNING: Final = re.compile(r"[0-9:=]|[Bb]earer|Basic|eyJ", re.ASCII)

_BARE_CPF: Final = re.compile(r"(?<![0-9])[0-9]{11}(?![0-9])", re.ASCII)


def _mask_bare_cpfs(text: str) -> str:
    return _BARE_CPF.sub(lambda m: _cpf_mask(m.group()), text)


def _render_value(match: re.Match[str], kind: SensitiveKind) -> str:
    masker = _MASKERS[kind]
    if match.group("bs") is not None:
        bs = match.group("bs")
        return f'{bs}"{masker(match.group("esc"))}{bs}"'
    if match.group("dq") is not None:
        return f'"{masker(match.group("dq"))}"'
    if match.group("sq") is not None:
        return f"'{masker(match.group('sq'))}'"
    return masker(match.group())


def mask_text(text: str) -> str:
    """``text`` with CPFs, card numbers, credentials and sensitive ``key=value`` pairs masked."""
    if not isinstance(text, str):  # defensive: callers outside the type checker
        text = _safe_str(text)
    if not text or _WORTH_SCANNING.search(text) is None:
        return text
    out: list[str] = []
    pos = 0
    while True:
        m = _SCAN.search(text, pos)
        if m is None:
            out.append(text[pos:])
            return "".join(out)
        out.append(text[pos : m.start()])
        pos = m.end()
        if m.group("uuid") is not None or m.group("hex") is not None:
            out.append(m.group())
        elif m.group("kv") is not None:
            key = m.group("key")
            # The key itself may carry data ("x12345678909="); it holds no separator, so this
            # recursion is one level deep at most.
            masked_key = mask_text(key) if _HAS_DIGIT.search(key) else key
            out.append(masked_key + m.group("kv")[len(key) :])
            kind = classify_key(key)
            if kind is not None:
                value = _VALUE.match(text, pos)
                number = _NUMERIC_VALUE.match(text, pos) if kind in _NUMERIC_KINDS else None
                if number is not None and (value is None or number.end() > value.end()):
                    out.append(_MASKERS[kind](number.group()))
                    pos = number.end()
                elif value is not None:
                    out.append(_render_value(value, kind))
                    pos = value.end()
        elif m.group("jwt") is not None:
            out.append(MASK)
        elif m.group("auth") is not None:
            out.append(m.group("scheme") + m.group("gap") + MASK)
        elif m.group("cpffmt") is not None:
            out.append(_cpf_mask(_only_digits(m.group())))
        elif m.group("card") is not None:
            candidate = m.group()
            if luhn_valid(_only_digits(candidate)):
                out.append(_keep_last_digits(candidate, 4))
            else:
                out.append(_mask_bare_cpfs(candidate))
        else:
            out.append(_cpf_mask(m.group()))


# --------------------------------------------------------------------------------------------
# Structures
# --------------------------------------------------------------------------------------------


def _safe_str(obj: object) -> str:
    try:
        return str(obj)
    except Exception:
        try:
            return repr(obj)
        except Exception:
            return f"<unprintable {type(obj).__name__}>"


def _decode(raw: bytes | bytearray | memoryview) -> str:
    return bytes(raw).decode("utf-8", errors="replace")


def mask_value(kind: SensitiveKind, value: Any) -> Any:
    """``value`` masked as the given kind (every leaf of a container), JSON-compatible."""
    return _mask_under_key(kind, value, 0, set())


def _mask_under_key(kind: SensitiveKind, value: Any, depth: int, seen: set[int]) -> Any:
    if value is None or isinstance(value, bool):
        return value
    if depth > _MAX_DEPTH:
        return "<truncated>"
    masker = _MASKERS[kind]
    if isinstance(value, str):
        return masker(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return masker(_decode(value))
    if isinstance(value, Mapping | list | tuple | set | frozenset):
        if id(value) in seen:
            return "<cycle>"
        seen.add(id(value))
        try:
            if isinstance(value, Mapping):
                return {
                    _mask_key(k): _mask_under_key(kind, v, depth + 1, seen)
                    for k, v in _items(value)
                }
            return [_mask_under_key(kind, v, depth + 1, seen) for v in _iterate(value)]
        finally:
            seen.discard(id(value))
    plain = _to_plain(value)
    if plain is not _NOT_CONVERTED:
        return _mask_under_key(kind, plain, depth + 1, seen)
    return masker(_scalar_text(value))


_NOT_CONVERTED: Final = object()


def _to_plain(value: Any) -> Any:
    """A dataclass or pydantic model as a dict (so its fields are masked by key), else a marker."""
    try:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {f.name: getattr(value, f.name, None) for f in dataclasses.fields(value)}
        dump = getattr(value, "model_dump", None)
        if callable(dump) and not isinstance(value, type):
            return dump(mode="json")
    except Exception:
        return _NOT_CONVERTED
    return _NOT_CONVERTED


def _scalar_text(value: Any) -> str:
    if isinstance(value, enum.Enum):
        return _safe_str(value.value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return _safe_str(value)


def _items(mapping: Mapping[Any, Any]) -> list[tuple[Any, Any]]:
    try:
        return list(mapping.items())
    except Exception:
        return [("<unreadable>", _safe_str(mapping))]


def _iterate(container: Any) -> list[Any]:
    try:
        items = list(container)
    except Exception:
        return [_safe_str(container)]
    if isinstance(container, set | frozenset):
        try:
            items.sort(key=_safe_str)
        except Exception:
            items = list(container)
    return items


def _mask_key(key: Any) -> str:
    return mask_text(key if isinstance(key, str) else _safe_str(key))


def mask_data(obj: Any) -> Any:
    """``obj`` as JSON-compatible data with every sensitive value masked (never raises).

    Mappings become dicts with string keys; lists, tuples and sets become lists; strings go through
    :func:`mask_text`; ints of 11 or more digits are checked as text (an ``int`` CPF is masked into
    a string); non-finite floats, ``Decimal``, ``UUID``, dates, bytes and any other object become
    (masked) strings. Dataclasses and pydantic models are masked field by field.
    """
    try:
        return _mask(obj, 0, set())
    except Exception:  # pragma: no cover - last resort; _mask already guards each step
        return mask_text(_safe_str(obj))


def _mask(obj: Any, depth: int, seen: set[int]) -> Any:
    if obj is None or isinstance(obj, bool):
        return obj
    if isinstance(obj, str):
        return mask_text(obj)
    if isinstance(obj, int):
        return _mask_int(obj)
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else str(obj)
    if isinstance(obj, Decimal | UUID):
        return mask_text(str(obj))
    if isinstance(obj, bytes | bytearray | memoryview):
        return mask_text(_decode(obj))
    if depth > _MAX_DEPTH:
        return "<truncated>"
    if isinstance(obj, Mapping | list | tuple | set | frozenset):
        if id(obj) in seen:
            return "<cycle>"
        seen.add(id(obj))
        try:
            if isinstance(obj, Mapping):
                return _mask_mapping(obj, depth, seen)
            return [_mask(v, depth + 1, seen) for v in _iterate(obj)]
        finally:
            seen.discard(id(obj))
    if isinstance(obj, enum.Enum):
        return _mask(obj.value, depth + 1, seen)
    plain = _to_plain(obj)
    if plain is not _NOT_CONVERTED:
        return _mask(plain, depth + 1, seen)
    return mask_text(_scalar_text(obj))


def _mask_mapping(mapping: Mapping[Any, Any], depth: int, seen: set[int]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in _items(mapping):
        key_text = key if isinstance(key, str) else _safe_str(key)
        kind = classify_key(key_text)
        if kind is None:
            out[mask_text(key_text)] = _mask(value, depth + 1, seen)
        else:
            out[mask_text(key_text)] = _mask_under_key(kind, value, depth + 1, seen)
    return out


def _mask_int(value: int) -> int | str:
    if -(10**10) < value < 10**10:
        return value
    text = str(value)
    masked = mask_text(text)
    return value if masked == text else masked
