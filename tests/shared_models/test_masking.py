"""Masking of CPFs, secrets, credentials, bank and card data (shared_models.masking).

All "sensitive" values below are synthetic inputs whose masking is asserted; CPFs are generated
with valid check digits so that they look real to the masker.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import re
import uuid
from decimal import Decimal
from typing import Any

import pydantic
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from shared_models.masking import (
    MASK,
    SensitiveKind,
    classify_key,
    luhn_valid,
    mask_data,
    mask_text,
)

# --------------------------------------------------------------------------------------------
# Helpers: synthetic CPFs and card numbers
# --------------------------------------------------------------------------------------------


def _check_digit(digits: str) -> str:
    total = sum(int(d) * w for d, w in zip(digits, range(len(digits) + 1, 1, -1), strict=True))
    r = total * 10 % 11
    return "0" if r == 10 else str(r)


def make_cpf(base9: str) -> str:
    first = _check_digit(base9)
    return base9 + first + _check_digit(base9 + first)


def fmt_cpf(cpf: str) -> str:
    return f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}"


def masked_cpf(cpf: str) -> str:
    return f"{cpf[:3]}.***.***-{cpf[9:]}"


def luhn_complete(prefix: str) -> str:
    """``prefix`` plus the Luhn check digit."""
    for d in "0123456789":
        if luhn_valid(prefix + d):
            return prefix + d
    raise AssertionError("unreachable")


CPF = make_cpf("529982247")  # -> 52998224725
CPF_FMT = fmt_cpf(CPF)
CARD = luhn_complete("411111111111111")  # 16 digits, Visa-like
CARD_AMEX = luhn_complete("37828224631000")  # 15 digits
UUID_TEXT = "3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b"
SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

cpf_strategy = st.text(alphabet="0123456789", min_size=9, max_size=9).map(make_cpf)

# Random text, half of the time built from fragments that exercise the masker's rules.
_FRAGMENTS = [
    "senha",
    "cpf",
    "conta",
    "cartao",
    "token",
    "authorization",
    "Bearer",
    "Basic",
    "eyJ",
    "x",
    "=",
    ":",
    ": ",
    " ",
    '"',
    "'",
    "\\",
    "{",
    "}",
    "[",
    ",",
    ";",
    "&",
    "?",
    ".",
    "-",
    "\n",
    "0",
    "1",
    "4",
    "5",
    "9",
    "123",
    "4111",
    "00000000",
    "abcdef",
    "é",
    "😀",
]
noisy_text = st.one_of(
    st.text(), st.lists(st.sampled_from(_FRAGMENTS) | st.text(max_size=3)).map("".join)
)


def test_helpers_build_valid_test_data() -> None:
    assert CPF == "52998224725"
    assert luhn_valid(CARD) and luhn_valid(CARD_AMEX)
    assert not luhn_valid(CARD[:-1] + str((int(CARD[-1]) + 1) % 10))
    assert not luhn_valid("") and not luhn_valid("12a4")


# --------------------------------------------------------------------------------------------
# CPF
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        f"cpf={CPF}",
        f"CPF {CPF_FMT} cadastrado",
        f"o documento {CPF} foi recusado",
        f"/v1/usuarios/{CPF}/kyc",
        f"lista: {CPF},{CPF_FMT};",
        f"cpf:{CPF_FMT}",
        f"CPF{CPF}",
        f"(cpf={CPF_FMT})",
    ],
)
def test_cpf_in_free_text_is_masked(text: str) -> None:
    out = mask_text(text)
    assert CPF not in out
    assert CPF_FMT not in out
    assert masked_cpf(CPF) in out


def test_cpf_masked_format_keeps_first_three_and_last_two_digits() -> None:
    assert mask_text(CPF) == "529.***.***-25"
    assert mask_text(CPF_FMT) == "529.***.***-25"


def test_eleven_digits_are_masked_even_with_wrong_check_digits() -> None:
    assert mask_text("doc 12345678900 fim") == "doc 123.***.***-00 fim"


@pytest.mark.parametrize("key", ["cpf", "CPF", "cpfCnpj", "numero_cpf", "cpf_titular"])
def test_cpf_as_key(key: str) -> None:
    assert mask_data({key: CPF}) == {key: masked_cpf(CPF)}
    assert mask_data({key: CPF_FMT}) == {key: masked_cpf(CPF)}
    assert mask_data({key: int(CPF)}) == {key: masked_cpf(CPF)}


def test_cpf_key_with_unexpected_value_is_fully_masked() -> None:
    assert mask_data({"cpf": "1234"}) == {"cpf": MASK}
    assert mask_data({"cpf": None}) == {"cpf": None}


def test_cpf_as_int_value_under_any_key_is_masked() -> None:
    assert mask_data({"documento": int(CPF)}) == {"documento": masked_cpf(CPF)}
    assert mask_data({"n": 12345}) == {"n": 12345}


def test_longer_digit_runs_are_not_cpfs() -> None:
    # 12 and 14 digits are not CPFs (and these are not Luhn-valid cards starting 2-6).
    assert mask_text("pedido 123456789012") == "pedido 123456789012"
    assert mask_text("cnpj 11222333000181") == "cnpj 11222333000181"


# --------------------------------------------------------------------------------------------
# Passwords and tokens
# --------------------------------------------------------------------------------------------

PASSWORD_KEYS = [
    "senha",
    "Senha",
    "SENHA",
    "password",
    "passwd",
    "pwd",
    "senha_atual",
    "nova_senha",
    "novaSenha",
    "confirmacao_senha",
    "newPassword",
    "senha_hash",
    "db-password",
]
TOKEN_KEYS = [
    "token",
    "access_token",
    "refresh_token",
    "session_token",
    "sessionToken",
    "otp",
    "codigo_otp",
    "secret",
    "client_secret",
    "api_key",
    "apiKey",
    "X-Api-Key",
    "cookie",
    "Set-Cookie",
    "pin",
    "cvv",
    "credentials",
]


@pytest.mark.parametrize("key", PASSWORD_KEYS + TOKEN_KEYS)
def test_secret_keys_are_fully_masked(key: str) -> None:
    assert classify_key(key) is SensitiveKind.SECRET
    assert mask_data({key: "hunter2-XYZ"}) == {key: MASK}
    assert mask_data({key: 123456}) == {key: MASK}
    assert mask_data({"nivel": {key: b"raw-bytes"}}) == {"nivel": {key: MASK}}


@pytest.mark.parametrize("key", PASSWORD_KEYS + TOKEN_KEYS)
def test_secret_keys_in_free_text_are_masked(key: str) -> None:
    for text in (
        f"{key}=hunter2-XYZ",
        f"{key}: hunter2-XYZ",
        f'{{"{key}": "hunter2-XYZ", "outro": 1}}',
        f"{{'{key}': 'hunter2-XYZ'}}",
        f"?a=1&{key}=hunter2-XYZ&b=2",
    ):
        out = mask_text(text)
        assert "hunter2" not in out, (text, out)
        assert MASK in out


def test_secret_under_key_with_none_or_bool_is_kept() -> None:
    assert mask_data({"senha": None, "token_valido": True}) == {
        "senha": None,
        "token_valido": True,
    }


def test_container_under_secret_key_has_every_leaf_masked() -> None:
    data = {"senha": {"atual": "old-one", "nova": ["new-one", 42]}}
    assert mask_data(data) == {"senha": {"atual": MASK, "nova": [MASK, MASK]}}


def test_free_text_examples_from_the_brief() -> None:
    assert mask_text("senha: hunter2") == "senha: ***"
    assert mask_text("token=abc") == "token=***"
    assert mask_text("falha: senha=hunter2, usuario=joao") == "falha: senha=***, usuario=joao"
    assert mask_text('{"senha": "com espaço"}') == '{"senha": "***"}'


def test_json_escaped_inside_a_string_is_masked() -> None:
    text = '{"corpo": "{\\"senha\\": \\"hunter2\\", \\"cpf\\": \\"' + CPF + '\\"}"}'
    out = mask_text(text)
    assert "hunter2" not in out and CPF not in out
    assert '\\"senha\\": \\"***\\"' in out


def test_jwt_shaped_text_is_masked() -> None:
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    assert mask_text(f"recebido {jwt} ok") == f"recebido {MASK} ok"


# --------------------------------------------------------------------------------------------
# Authorization
# --------------------------------------------------------------------------------------------


def test_authorization_key_keeps_only_the_scheme() -> None:
    assert mask_data({"Authorization": "Bearer abc.def.ghi"}) == {"Authorization": "Bearer ***"}
    assert mask_data({"authorization": "Basic dXNlcjpwdw=="}) == {"authorization": "Basic ***"}
    assert mask_data({"AUTHORIZATION": "opaque"}) == {"AUTHORIZATION": MASK}
    assert mask_data({"proxy-authorization": "Bearer x"}) == {"proxy-authorization": "Bearer ***"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer abc.def.ghi", "Authorization: Bearer ***"),
        ("authorization=Basic dXNlcjpwdw==", "authorization=Basic ***"),
        ("curl -H 'Authorization: Bearer abc123' /v1", "curl -H 'Authorization: Bearer ***' /v1"),
        ("cabeçalho enviado: Bearer abc123xyz", "cabeçalho enviado: Bearer ***"),
        ("usando bearer tok_live_9", "usando bearer ***"),
        ("Basic dXNlcjpwdw== recusado", "Basic *** recusado"),
        ("{'authorization': 'Bearer abc'}", "{'authorization': 'Bearer ***'}"),
    ],
)
def test_authorization_in_free_text(text: str, expected: str) -> None:
    assert mask_text(text) == expected


# --------------------------------------------------------------------------------------------
# Bank data
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    [
        "agencia",
        "agência",
        "Agencia",
        "agency",
        "conta",
        "account",
        "conta_bancaria",
        "numero_conta",
        "accountNumber",
        "bank_account",
        "iban",
    ],
)
def test_bank_keys_keep_at_most_the_last_two_characters(key: str) -> None:
    assert mask_data({key: "0001"}) == {key: MASK}
    assert mask_data({key: "12345-6"}) == {key: "***-6"}
    assert mask_data({key: 1234567}) == {key: "***67"}


@pytest.mark.parametrize("key", ["conta_id", "tipo_conta", "account_type", "status_conta"])
def test_keys_about_an_account_are_not_bank_data(key: str) -> None:
    assert classify_key(key) is None
    assert mask_data({key: "CORRENTE"}) == {key: "CORRENTE"}


def test_spaced_numbers_after_numeric_keys_are_masked_whole() -> None:
    assert mask_text(f"cartao={_spaced(CARD)} ok") == f"cartao=**** **** **** {CARD[-4:]} ok"
    assert mask_text("cpf: 529 982 247 25, ok") == "cpf: 529.***.***-25, ok"
    assert mask_text("conta: 12345 6 agencia: 0001") == "conta: *** 6 agencia: ***"


def test_bank_data_in_free_text() -> None:
    assert mask_text("agencia=0001 conta=12345-6 banco=001") == "agencia=*** conta=***-6 banco=001"


def test_nested_bank_account_object() -> None:
    data = {"contas_bancarias": [{"banco": "Banco X", "agencia": "1234", "conta": "987654-3"}]}
    out = mask_data(data)
    assert "1234" not in json.dumps(out) and "987654" not in json.dumps(out)


# --------------------------------------------------------------------------------------------
# Card numbers
# --------------------------------------------------------------------------------------------


def _spaced(number: str) -> str:
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))


@pytest.mark.parametrize("shown", [CARD, _spaced(CARD), "-".join(_spaced(CARD).split()), CARD_AMEX])
def test_luhn_valid_card_in_text_keeps_only_last_four(shown: str) -> None:
    out = mask_text(f"cartão {shown} recusado")
    digits = re.sub(r"\D", "", out)
    assert digits == shown.replace(" ", "").replace("-", "")[-4:]
    assert out.startswith("cartão ") and out.endswith(" recusado")


def test_card_separators_are_kept() -> None:
    assert mask_text(_spaced(CARD)) == "**** **** **** " + CARD[-4:]


def test_luhn_invalid_sixteen_digit_id_is_not_masked() -> None:
    not_a_card = CARD[:-1] + str((int(CARD[-1]) + 1) % 10)
    assert not luhn_valid(not_a_card)
    assert mask_text(f"pedido {not_a_card}") == f"pedido {not_a_card}"


def test_luhn_valid_number_starting_with_1_is_not_masked() -> None:
    # Epoch milliseconds: 13 digits starting with 1. Not a card brand we accept.
    epoch_ms = luhn_complete("172770720012")
    assert luhn_valid(epoch_ms)
    assert mask_text(f"ts={epoch_ms}") == f"ts={epoch_ms}"


@pytest.mark.parametrize("key", ["cartao", "cartão", "card", "card_number", "numero_cartao", "pan"])
def test_card_keys_mask_regardless_of_luhn(key: str) -> None:
    assert mask_data({key: "4000 1234 5678 9011"}) == {key: "**** **** **** 9011"}
    assert mask_data({key: "visa"}) == {key: MASK}
    assert mask_data({"cvv": "123"}) == {"cvv": MASK}


# --------------------------------------------------------------------------------------------
# No false positives
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        UUID_TEXT,
        UUID_TEXT.upper(),
        str(uuid.UUID("00000000-0000-4000-8000-123456789012")),
        SHA256,
        "2025-09-30T14:40:00.123Z",
        "2025-09-30 14:40:00.123456+00:00",
        "1234.56",
        "1500.00000000",
        "R$ 1.234.567,89",
        "9999999999.99999999",
        "1727707200123",
        "1727707200",
        "xyz-123",
        "tempo_de_processamento_ms=450",
        "127.0.0.1:8000",
        "GET /v1/health HTTP/1.1",
        "versão 6.170.17",
        "parcela 3 de 12, valor 1234.56 USDC",
        "user_id=3f2b8c1e-9a4d-4e6f-8b7a-1c2d3e4f5a6b",
        "hash_atual=" + SHA256,
        "Análise de crédito para a solicitação xyz concluída com sucesso.",
    ],
)
def test_no_false_positives(text: str) -> None:
    assert mask_text(text) == text


def test_no_false_positives_in_structures() -> None:
    data = {
        "solicitacao_id": "xyz-123",
        "score_gerado": 750,
        "tempo_de_processamento_ms": 450,
        "valor": "1234.56",
        "cpr_id": UUID_TEXT,
        "hash_atual": SHA256,
        "tipo_conta": "CORRENTE",
        "timestamp": "2025-09-30T14:40:00.123Z",
    }
    assert mask_data(data) == data


# --------------------------------------------------------------------------------------------
# Structures and odd values
# --------------------------------------------------------------------------------------------


class Perfil(enum.Enum):
    AGRICULTOR = "AGRICULTOR"


@dataclasses.dataclass
class LoginAttempt:
    email: str
    senha: str
    cpf: str


class Signup(pydantic.BaseModel):
    nome: str
    cpf: str
    senha: str


def test_nested_structures_at_any_depth() -> None:
    data: dict[str, Any] = {
        "usuario": {
            "perfis": [{"cpf": CPF}, ({"senha": "x1"}, {"conta": "123456-7"})],
            "credenciais": {"access_token": "tk-777"},
            "texto": f"cpf={CPF} senha=abc",
        },
        "lista": [[[[{"otp": "123456"}]]]],
        "conjunto": {CPF},
    }
    out = mask_data(data)
    dumped = json.dumps(out, ensure_ascii=False)
    for secret in (CPF, "x1", "123456-7", "tk-777", "abc", '"123456"'):
        assert secret not in dumped, secret
    assert out["usuario"]["perfis"][1][0] == {"senha": MASK}
    assert out["lista"] == [[[[{"otp": MASK}]]]]
    assert out["conjunto"] == [masked_cpf(CPF)]


def test_mask_data_does_not_mutate_its_input() -> None:
    data = {"senha": "x", "itens": [{"cpf": CPF}]}
    snapshot = json.dumps(data)
    mask_data(data)
    assert json.dumps(data) == snapshot


def test_dataclasses_and_pydantic_models_are_masked_by_field() -> None:
    out = mask_data(
        {
            "tentativa": LoginAttempt(email="a@b.c", senha="pw", cpf=CPF),
            "cadastro": Signup(nome="Ana", cpf=CPF_FMT, senha="pw"),
        }
    )
    assert out == {
        "tentativa": {"email": "a@b.c", "senha": MASK, "cpf": masked_cpf(CPF)},
        "cadastro": {"nome": "Ana", "cpf": masked_cpf(CPF), "senha": MASK},
    }


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no str")

    def __repr__(self) -> str:
        raise RuntimeError("no repr")


class Shouting:
    def __str__(self) -> str:
        return f"objeto com cpf {CPF}"


def test_odd_values_never_crash_and_become_json() -> None:
    cyclic: dict[str, Any] = {"nome": "loop"}
    cyclic["self"] = cyclic
    data = {
        "bytes": f"cpf={CPF}".encode(),
        "bytearray": bytearray(b"senha=abc"),
        "memoryview": memoryview(b"ok"),
        "invalid_utf8": b"\xff\xfe",
        "decimal": Decimal("1234.56"),
        "uuid": uuid.UUID(UUID_TEXT),
        "datetime": dt.datetime(2025, 9, 30, 14, 40, tzinfo=dt.UTC),
        "date": dt.date(2025, 9, 30),
        "none": None,
        "nan": float("nan"),
        "inf": float("-inf"),
        "float": 1.5,
        "enum": Perfil.AGRICULTOR,
        "object": Shouting(),
        "unprintable": Unprintable(),
        "cyclic": cyclic,
        1: "int key",
        (1, 2): "tuple key",
        None: "none key",
        "frozenset": frozenset({"b", "a"}),
    }
    out = mask_data(data)
    text = json.dumps(out, allow_nan=False)  # plain JSON, no default= needed
    assert CPF not in text and "abc" not in text
    assert out["bytes"] == f"cpf={masked_cpf(CPF)}"
    assert out["decimal"] == "1234.56"
    assert out["uuid"] == UUID_TEXT
    assert out["datetime"] == "2025-09-30T14:40:00+00:00"
    assert out["date"] == "2025-09-30"
    assert out["none"] is None
    assert out["nan"] == "nan" and out["inf"] == "-inf"
    assert out["float"] == 1.5
    assert out["enum"] == "AGRICULTOR"
    assert out["object"] == f"objeto com cpf {masked_cpf(CPF)}"
    assert out["unprintable"] == "<unprintable Unprintable>"
    assert out["cyclic"] == {"nome": "loop", "self": "<cycle>"}
    assert out["1"] == "int key" and out["(1, 2)"] == "tuple key" and out["None"] == "none key"
    assert out["frozenset"] == ["a", "b"]


def test_very_deep_structures_are_truncated_not_crashing() -> None:
    deep: Any = "fundo"
    for _ in range(500):
        deep = [deep]
    out = mask_data({"d": deep})
    assert "<truncated>" in json.dumps(out)


def test_scalars_at_top_level() -> None:
    assert mask_data(f"cpf {CPF}") == f"cpf {masked_cpf(CPF)}"
    assert mask_data(None) is None
    assert mask_data(True) is True
    assert mask_data(7) == 7
    assert mask_data((1, "a")) == [1, "a"]


def test_sensitive_key_names_inside_keys_are_masked() -> None:
    assert mask_data({CPF: 1}) == {masked_cpf(CPF): 1}


def test_long_colon_chains_do_not_recurse() -> None:
    text = ":".join(["a"] * 20_000)
    assert mask_text(text) == text


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("Authorization", SensitiveKind.AUTHORIZATION),
        ("senhaAtual", SensitiveKind.SECRET),
        ("CPF", SensitiveKind.CPF),
        ("numeroCartao", SensitiveKind.CARD),
        ("agência", SensitiveKind.BANK),
        ("valor", None),
        ("cardinality", None),
        ("desconto", None),
        ("pinned", None),
        ("", None),
    ],
)
def test_classify_key(key: str, kind: SensitiveKind | None) -> None:
    assert classify_key(key) is kind


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------

_ASCII_DIGITS = frozenset("0123456789")
# Tokens the masker keeps verbatim on purpose (documented): UUIDs and hex runs of 32+ chars.
_PROTECTED = re.compile(
    r"(?<![0-9A-Za-z])(?:[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}"
    r"|[0-9A-Fa-f]{32,})(?![0-9A-Za-z])(?!\.[0-9])",
    re.ASCII,
)


@settings(max_examples=300, deadline=None)
@given(prefix=noisy_text, cpf=cpf_strategy, formatted=st.booleans(), suffix=noisy_text)
def test_random_cpf_embedded_in_random_text_never_survives(
    prefix: str, cpf: str, formatted: bool, suffix: str
) -> None:
    shown = fmt_cpf(cpf) if formatted else cpf
    if not formatted:
        # Glued to another digit it is part of a longer number, not a CPF.
        assume(prefix[-1:] not in _ASCII_DIGITS and suffix[:1] not in _ASCII_DIGITS)
    assume(shown not in prefix and shown not in suffix)
    text = prefix + shown + suffix
    start, end = len(prefix), len(prefix) + len(shown)
    assume(not any(m.start() <= start and end <= m.end() for m in _PROTECTED.finditer(text)))
    out = mask_text(text)
    assert shown not in out
    # The nine digits hidden by the mask never appear around the kept ones.
    assert f"{cpf[:3]}.***.***-{cpf[9:]}" in out or MASK in out


@settings(max_examples=100, deadline=None)
@given(
    prefix=st.text(),
    cpf=cpf_strategy,
    key=st.sampled_from(["cpf", "CPF", "documento", "x", "senha"]),
    depth=st.integers(0, 4),
)
def test_random_cpf_in_random_structures_never_survives(
    prefix: str, cpf: str, key: str, depth: int
) -> None:
    assume(prefix[-1:] not in _ASCII_DIGITS)
    value: Any = {key: prefix + " " + cpf}
    for level in range(depth):
        value = [value] if level % 2 else {"nivel": value}
    assert cpf not in json.dumps(mask_data(value), ensure_ascii=False)


@settings(max_examples=150, deadline=None)
@given(
    prefix=noisy_text,
    digits=st.integers(12, 18).flatmap(
        lambda n: st.tuples(st.sampled_from("23456"), st.text("0123456789", min_size=n, max_size=n))
    ),
    sep=st.sampled_from(["", " ", "-"]),
    suffix=noisy_text,
)
def test_random_luhn_valid_card_in_text_keeps_at_most_last_four(
    prefix: str, digits: tuple[str, str], sep: str, suffix: str
) -> None:
    number = luhn_complete(digits[0] + digits[1][:-1])
    shown = sep.join(number[i : i + 4] for i in range(0, len(number), 4))
    assume(prefix[-1:] not in _ASCII_DIGITS and suffix[:1] not in _ASCII_DIGITS)
    assume(not re.match(r"[ -.]?[0-9]", suffix) and not re.search(r"[0-9][ -.]$", prefix))
    text = prefix + shown + suffix
    start, end = len(prefix), len(prefix) + len(shown)
    assume(not any(m.start() <= start and end <= m.end() for m in _PROTECTED.finditer(text)))
    out = mask_text(text)
    assert number not in out
    assert shown not in out
    assert number[:-4] not in re.sub(r"[ -]", "", out)


@settings(max_examples=200, deadline=None)
@given(noisy_text)
def test_mask_text_is_idempotent_on_random_text(text: str) -> None:
    once = mask_text(text)
    assert mask_text(once) == once


@settings(max_examples=100, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text() | st.binary(max_size=20),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(
                st.sampled_from(["cpf", "senha", "conta", "cartao", "authorization", "x", "valor"])
                | st.text(max_size=8),
                children,
                max_size=4,
            )
        ),
        max_leaves=20,
    )
)
def test_mask_data_output_is_json_and_idempotent(data: Any) -> None:
    once = mask_data(data)
    json.dumps(once, allow_nan=False)
    assert mask_data(once) == once
