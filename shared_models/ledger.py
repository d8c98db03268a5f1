"""The pure half of the hash-chained ledger (``ledger_eventos``): the canonical event, its hash and
the guard that keeps personal data out of a chain that can never be erased.

The formula is binding (docs: DESIGN.md, "Hash-chained ledger")::

    hash_atual_n = sha256_hex( P_n + "\\n" + JCS(E_n) )

``P_n`` is the event's ``hash_anterior`` (the empty string for the first event), ``E_n`` the object
``{"id", "timestamp", "tipo_evento", "ator_id", "ator_tipo", "dados_evento"}`` and ``JCS`` the
RFC 8785 canonical JSON (the maintained ``rfc8785`` package). The timestamp is UTC written as
``YYYY-MM-DDTHH:MM:SS.ffffffZ``; ``ator_id`` is a lowercase UUID string or null.

Nothing here touches a database: the server (``sync_server.ledger``) appends and verifies, and any
other party holding an export of the table can recompute the chain with this module alone.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, TypeAlias

import rfc8785

from shared_models.cpf import is_valid_cpf
from shared_models.masking import luhn_valid

__all__ = [
    "HASH_HEX_LENGTH",
    "MAX_ATOR_TIPO_LENGTH",
    "MAX_DEPTH",
    "MAX_TIPO_EVENTO_LENGTH",
    "EventTemplate",
    "InvalidEventDataError",
    "JsonValue",
    "LedgerDataError",
    "LedgerEvent",
    "PersonalDataError",
    "canonical_json",
    "check_no_personal_data",
    "compute_hash",
    "event_template",
    "format_timestamp",
    "hash_preimage",
    "validate_dados_evento",
    "validate_event_fields",
]

JsonValue: TypeAlias = "bool | int | str | list[JsonValue] | dict[str, JsonValue] | None"

HASH_HEX_LENGTH: Final = 64
MAX_TIPO_EVENTO_LENGTH: Final = 100  # VARCHAR(100) in the specification
MAX_ATOR_TIPO_LENGTH: Final = 50  # VARCHAR(50)
MAX_DEPTH: Final = 32
# RFC 8785 numbers are IEEE 754 doubles: integers beyond 2**53 - 1 are not representable exactly.
_MAX_SAFE_INT: Final = 2**53 - 1

_HEX64 = re.compile(r"[0-9a-f]{64}")


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class LedgerDataError(ValueError):
    """Event data that cannot enter the ledger. The message is Portuguese and never echoes a value.

    ``codigo`` is a stable machine code; ``caminho`` the location inside ``dados_evento``
    (e.g. ``dados_evento.pagador.documento``), built only from keys that passed the checks.
    """

    codigo: str = "dados_evento_invalido"

    def __init__(self, message: str, *, caminho: str = "dados_evento") -> None:
        super().__init__(message)
        self.caminho = caminho


class InvalidEventDataError(LedgerDataError):
    """Not a JSON object of the accepted kinds (floats, non-JSON types, unsafe integers...)."""

    codigo = "dados_evento_invalido"


class PersonalDataError(LedgerDataError):
    """Personal data (CPF, names, contacts, bank data, secrets...) where none may be stored."""

    codigo = "dados_pessoais_no_ledger"

    def __init__(self, message: str, *, caminho: str = "dados_evento", categoria: str) -> None:
        super().__init__(message, caminho=caminho)
        self.categoria = categoria


# --------------------------------------------------------------------------------------------
# The canonical event and its hash
# --------------------------------------------------------------------------------------------


def format_timestamp(ts: datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC. Refuses naive datetimes (their zone is unknown)."""
    if ts.tzinfo is None or ts.utcoffset() is None:
        raise ValueError("timestamp do evento precisa de fuso horário (datetime 'aware')")
    u = ts.astimezone(UTC)
    return (
        f"{u.year:04d}-{u.month:02d}-{u.day:02d}T"
        f"{u.hour:02d}:{u.minute:02d}:{u.second:02d}.{u.microsecond:06d}Z"
    )


def canonical_json(value: Any) -> bytes:
    """RFC 8785 (JCS) canonical UTF-8 bytes of a JSON value."""
    return rfc8785.dumps(value)


@dataclass(frozen=True, slots=True)
class LedgerEvent:
    """The hashed part of one ``ledger_eventos`` row (``E_n``)."""

    id: int
    timestamp: datetime
    tipo_evento: str
    ator_id: uuid.UUID | None
    ator_tipo: str | None
    dados_evento: Mapping[str, Any]

    def canonical_object(self) -> dict[str, Any]:
        """``E_n`` as a plain JSON object."""
        return {
            "id": self.id,
            "timestamp": format_timestamp(self.timestamp),
            "tipo_evento": self.tipo_evento,
            "ator_id": None if self.ator_id is None else str(self.ator_id),
            "ator_tipo": self.ator_tipo,
            "dados_evento": _plain(self.dados_evento),
        }

    def canonical_json(self) -> bytes:
        """``JCS(E_n)``."""
        return canonical_json(self.canonical_object())


def _plain(value: Any) -> Any:
    """Mappings → dict and tuples → list, so JCS sees the JSON the database will store."""
    if isinstance(value, Mapping) and not isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, dict):
        if all(not isinstance(v, Mapping | tuple | list) for v in value.values()):
            return value
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def _check_previous(hash_anterior: str | None) -> str:
    if hash_anterior is None:
        return ""
    if not isinstance(hash_anterior, str) or not _HEX64.fullmatch(hash_anterior):
        raise ValueError("hash_anterior deve ter 64 dígitos hexadecimais minúsculos ou ser nulo")
    return hash_anterior


def hash_preimage(hash_anterior: str | None, event: LedgerEvent) -> bytes:
    """The exact bytes that are hashed: ``UTF-8(P + "\\n") + JCS(E)``."""
    return (_check_previous(hash_anterior) + "\n").encode("ascii") + event.canonical_json()


def compute_hash(hash_anterior: str | None, event: LedgerEvent) -> str:
    """``sha256_hex(P + "\\n" + JCS(E))`` with ``P = ""`` when ``hash_anterior`` is None.

    A pure formula: it does not run the personal-data guard (verification must hash whatever is
    stored), but it raises ``rfc8785.CanonicalizationError`` (a ValueError) for values JCS cannot
    represent.
    """
    return hashlib.sha256(hash_preimage(hash_anterior, event)).hexdigest()


@dataclass(frozen=True, slots=True)
class EventTemplate:
    """``JCS(E)`` of an event whose ``id`` and ``timestamp`` are not known yet, split around them.

    ``JCS(E) == before_id + str(id) + before_timestamp + format_timestamp(ts) + after_timestamp``
    for every id and timestamp. The pieces are cut out of the ``rfc8785`` serialisation of the
    event with unique placeholders, so the canonical form still comes from one place; the server
    uses them to finish the hash inside the INSERT that learns the id and the timestamp.
    ``dados_json`` is ``JCS(dados_evento)``, the text stored in the JSONB column.
    """

    before_id: str
    before_timestamp: str
    after_timestamp: str
    dados_json: str

    def preimage(self, hash_anterior: str | None, event_id: int, timestamp: datetime) -> bytes:
        return (
            f"{_check_previous(hash_anterior)}\n{self.before_id}{int(event_id)}"
            f"{self.before_timestamp}{format_timestamp(timestamp)}{self.after_timestamp}"
        ).encode()

    def hash(self, hash_anterior: str | None, event_id: int, timestamp: datetime) -> str:
        """Same value as :func:`compute_hash` of the completed event."""
        return hashlib.sha256(self.preimage(hash_anterior, event_id, timestamp)).hexdigest()


def event_template(
    *,
    tipo_evento: str,
    ator_id: uuid.UUID | None,
    ator_tipo: str | None,
    dados_evento: Mapping[str, Any],
) -> EventTemplate:
    """Split ``JCS(E)`` around the id and the timestamp (see :class:`EventTemplate`)."""
    dados_json = canonical_json(_plain(dados_evento)).decode("utf-8")
    while True:
        nonce = uuid.uuid4().hex
        marks = {name: f"#{name}-{nonce}#" for name in ("id", "timestamp", "dados")}
        # JCS of a value does not depend on where it sits, so the object is serialised with
        # placeholder strings (no character of them is escaped) that are then replaced.
        text = canonical_json(
            {
                "id": marks["id"],
                "timestamp": marks["timestamp"],
                "tipo_evento": tipo_evento,
                "ator_id": None if ator_id is None else str(ator_id),
                "ator_tipo": ator_tipo,
                "dados_evento": marks["dados"],
            }
        ).decode("utf-8")
        quoted = {name: f'"{mark}"' for name, mark in marks.items()}
        if any(text.count(q) != 1 for q in quoted.values()):
            continue  # tipo_evento or ator_tipo happened to contain a mark: draw another nonce
        text = text.replace(quoted["dados"], dados_json)
        before_id, rest = text.split(quoted["id"])
        # RFC 8785 orders keys, so "id" comes before "timestamp"; the quotes around the
        # timestamp stay in the pieces.
        before_timestamp, after_timestamp = rest.split(marks["timestamp"])
        return EventTemplate(before_id, before_timestamp, after_timestamp, dados_json)


# --------------------------------------------------------------------------------------------
# Validation and the personal-data guard
# --------------------------------------------------------------------------------------------


def validate_event_fields(tipo_evento: str, ator_tipo: str | None) -> None:
    """The scalar columns: lengths of the specification, no NUL, no personal data."""
    if not isinstance(tipo_evento, str) or not tipo_evento.strip():
        raise InvalidEventDataError(
            "tipo_evento deve ser um texto não vazio", caminho="tipo_evento"
        )
    if len(tipo_evento) > MAX_TIPO_EVENTO_LENGTH:
        raise InvalidEventDataError(
            f"tipo_evento excede {MAX_TIPO_EVENTO_LENGTH} caracteres", caminho="tipo_evento"
        )
    _check_string(tipo_evento, "tipo_evento", as_key=False)
    if ator_tipo is not None:
        if not isinstance(ator_tipo, str) or not ator_tipo.strip():
            raise InvalidEventDataError(
                "ator_tipo deve ser um texto não vazio ou nulo", caminho="ator_tipo"
            )
        if len(ator_tipo) > MAX_ATOR_TIPO_LENGTH:
            raise InvalidEventDataError(
                f"ator_tipo excede {MAX_ATOR_TIPO_LENGTH} caracteres", caminho="ator_tipo"
            )
        _check_string(ator_tipo, "ator_tipo", as_key=False)


def check_no_personal_data(dados_evento: object) -> None:
    """Refuse ``dados_evento`` unless it is a JSON object free of personal data.

    Raises :class:`PersonalDataError` for keys naming personal data (cpf, nome, email, celular,
    banco, conta, senha, endereco, ... in any case, accents, ``snake``/``camel``/``kebab`` form) and
    for values that look like a CPF, an e-mail, a phone number, a CEP or a payment card, at any
    depth. Raises :class:`InvalidEventDataError` for anything that is not plain JSON: floats (money
    travels as strings), Decimal, bytes, datetimes, integers beyond 2**53-1, strings with NUL or
    unpaired surrogates, non-string keys, nesting deeper than ``MAX_DEPTH``; and when the top level
    is not an object. Messages are Portuguese and never repeat the offending value.
    """
    validate_dados_evento(dados_evento)


def validate_dados_evento(dados_evento: object) -> dict[str, JsonValue]:
    """Run :func:`check_no_personal_data` and return a plain copy (dicts, lists) ready for JCS."""
    if not isinstance(dados_evento, Mapping):
        raise InvalidEventDataError("dados_evento deve ser um objeto JSON")
    result = _walk(dados_evento, "dados_evento", 0)
    assert isinstance(result, dict)
    return result


def _walk(value: object, path: str, depth: int) -> JsonValue:
    if depth > MAX_DEPTH:
        raise InvalidEventDataError(
            f"dados_evento excede {MAX_DEPTH} níveis de aninhamento", caminho=path
        )
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if not -_MAX_SAFE_INT <= value <= _MAX_SAFE_INT:
            raise InvalidEventDataError(
                f"inteiro fora do intervalo seguro de JSON em {path}; use uma string", caminho=path
            )
        _check_int(value, path)
        return int(value)
    if isinstance(value, float):
        raise InvalidEventDataError(
            f"número de ponto flutuante em {path}: valores monetários vão como string "
            "e contagens como inteiro",
            caminho=path,
        )
    if isinstance(value, str):
        _check_string(value, path, as_key=False)
        return str(value)
    if isinstance(value, Mapping):
        out: dict[str, JsonValue] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidEventDataError(f"chave não textual em {path}", caminho=path)
            _check_string(key, path, as_key=True)
            _check_key_name(key, path)
            out[str(key)] = _walk(item, _child_path(path, key), depth + 1)
        return out
    if isinstance(value, list | tuple):
        return [_walk(item, f"{path}[{i}]", depth + 1) for i, item in enumerate(value)]
    raise InvalidEventDataError(
        f"tipo não suportado em {path} ({type(value).__name__}): use objeto, lista, string, "
        "inteiro, booleano ou nulo",
        caminho=path,
    )


_SIMPLE_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _child_path(path: str, key: str) -> str:
    if _SIMPLE_KEY.fullmatch(key):
        return f"{path}.{key}"
    return f"{path}[{rfc8785.dumps(key).decode('utf-8')}]"


# Key names. A key is split into lowercase ASCII tokens (accents stripped; snake, kebab and camel
# case). It is personal data when a token, two adjacent tokens joined ("e_mail") or the whole key
# joined ("nomecompleto") is in this table. Keys ending in "_id" name a pseudonymous reference
# ("conta_bancaria_id") and are allowed unless they carry a direct identifier ("cpf_id").
_KEY_CATEGORIES: Final[dict[str, str]] = {
    **dict.fromkeys(("cpf", "cnpjcpf", "rg", "cnh", "passaporte", "passport", "ssn"), "documento"),
    **dict.fromkeys(
        (
            "nome",
            "nomes",
            "name",
            "names",
            "nomecompleto",
            "fullname",
            "sobrenome",
            "surname",
            "apelido",
            "firstname",
            "lastname",
        ),
        "nome",
    ),
    **dict.fromkeys(("email", "emails", "mail"), "e-mail"),
    **dict.fromkeys(
        ("celular", "telefone", "telefones", "fone", "phone", "whatsapp", "mobile"), "telefone"
    ),
    **dict.fromkeys(
        (
            "banco",
            "bancos",
            "bancario",
            "bancaria",
            "bancarios",
            "bancarias",
            "bank",
            "agencia",
            "conta",
            "contas",
            "iban",
            "pix",
            "chavepix",
        ),
        "dados bancários",
    ),
    **dict.fromkeys(("cartao", "card", "cvv", "cvc"), "cartão"),
    **dict.fromkeys(("senha", "password", "passwd", "secret", "segredo", "token"), "segredo"),
    **dict.fromkeys(
        ("endereco", "enderecos", "address", "logradouro", "cep", "bairro", "rua"), "endereço"
    ),
    **dict.fromkeys(("nascimento", "datanascimento", "birth", "birthdate"), "nascimento"),
}
_DIRECT_IDENTIFIERS: Final = frozenset({"documento", "e-mail", "telefone", "segredo"})
_ID_SUFFIXES: Final = frozenset({"id", "ids", "uuid"})
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def _key_tokens(key: str) -> list[str]:
    decomposed = unicodedata.normalize("NFKD", key)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return [t for t in _NON_ALNUM.split(_CAMEL.sub("_", stripped).lower()) if t]


@functools.lru_cache(maxsize=4096)  # event keys repeat: classify each spelling once
def _key_category(key: str) -> str | None:
    tokens = _key_tokens(key)
    candidates = [*tokens, *(a + b for a, b in itertools.pairwise(tokens))]
    candidates.append("".join(tokens))
    categories = {_KEY_CATEGORIES[c] for c in candidates if c in _KEY_CATEGORIES}
    if not categories:
        return None
    if tokens and tokens[-1] in _ID_SUFFIXES and not categories & _DIRECT_IDENTIFIERS:
        return None
    return sorted(categories)[0]


def _check_key_name(key: str, path: str) -> None:
    categoria = _key_category(key)
    if categoria is not None:
        raise PersonalDataError(
            f"dados_evento não pode conter dados pessoais: um campo em {path} "
            f"nomeia um dado pessoal ({categoria}); use um id pseudônimo",
            caminho=path,
            categoria=categoria,
        )


# Values.
_B = r"(?<![0-9A-Za-z.\-])"  # not glued to another word, number or hyphenated code
_E = r"(?![0-9A-Za-z\-]|\.[0-9A-Za-z])"
_UUID = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
_CPF_FORMATTED = re.compile(_B + r"\d{3}\.\d{3}\.\d{3}-\d{2}" + _E)
_ELEVEN_DIGITS = re.compile(_B + r"\d{11}" + _E)
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_PHONE = re.compile(
    _B
    + r"(?:"
    # with an area code (and maybe +55): (11) 91234-5678, +55 11 3456 7890, 11-91234-5678
    + r"(?:\+?55[\s\-]?)?(?:\(\d{2}\)\s?|\d{2}[\s\-])9?\d{4}[\s\-]?\d{4}"
    # mobile without area code: 91234-5678
    + r"|9\d{4}[\s\-]\d{4}"
    # bare digits: +5511912345678, 11912345678
    + r"|\+55\d{10,11}|[1-9]{2}9\d{8}"
    + r")"
    + _E
)
_CEP = re.compile(_B + r"\d{5}-\d{3}" + _E)
_CARD = re.compile(_B + r"(?:\d{4}[\s\-]){3}\d{4}(?:\d{0,3})" + _E + r"|" + _B + r"\d{13,19}" + _E)


_NON_DIGITS = re.compile(r"\D+")


def _value_category(text: str) -> str | None:
    # Every pattern below needs an "@" or at least 8 digits: most values leave here.
    if "@" not in text and len(_NON_DIGITS.sub("", text)) < 8:
        return None
    if _UUID.fullmatch(text):
        return None
    if _CPF_FORMATTED.search(text):
        return "CPF"
    if any(is_valid_cpf(m.group()) for m in _ELEVEN_DIGITS.finditer(text)):
        return "CPF"
    if "@" in text and _EMAIL.search(text):
        return "e-mail"
    if _PHONE.search(text):
        return "telefone"
    if _CEP.search(text):
        return "CEP"
    for m in _CARD.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if 13 <= len(digits) <= 19 and luhn_valid(digits):
            return "cartão"
    return None


def _check_string(text: str, path: str, *, as_key: bool) -> None:
    where = f"uma chave em {path}" if as_key else f"o valor em {path}"
    if "\x00" in text:
        raise InvalidEventDataError(f"{where} contém o caractere NUL", caminho=path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidEventDataError(
            f"{where} contém caracteres que não são UTF-8 válido", caminho=path
        ) from None
    categoria = _value_category(text)
    if categoria is not None:
        raise PersonalDataError(
            f"dados_evento não pode conter dados pessoais: {where} parece um {categoria}",
            caminho=path,
            categoria=categoria,
        )


def _check_int(value: int, path: str) -> None:
    # A CPF typed as a number (11 digits); a leading-zero CPF cannot survive as an int anyway.
    if 10**10 <= abs(value) < 10**11:
        text = str(abs(value))
        if is_valid_cpf(text):
            categoria = "CPF"
        elif _PHONE.fullmatch(text):
            categoria = "telefone"
        else:
            return
        raise PersonalDataError(
            f"dados_evento não pode conter dados pessoais: o valor em {path} parece um {categoria}",
            caminho=path,
            categoria=categoria,
        )
