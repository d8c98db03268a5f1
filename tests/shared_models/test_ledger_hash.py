"""The ledger hash formula (DESIGN.md, "Hash-chained ledger") and the personal-data guard."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from shared_models.cpf import is_valid_cpf
from shared_models.ledger import (
    InvalidEventDataError,
    LedgerDataError,
    LedgerEvent,
    PersonalDataError,
    canonical_json,
    check_no_personal_data,
    compute_hash,
    event_template,
    format_timestamp,
    hash_preimage,
    validate_dados_evento,
    validate_event_fields,
)

LEDGER = settings(deadline=None, max_examples=100)

# --------------------------------------------------------------------------------------------
# Known answers: the canonical strings are written by hand, the digests computed with hashlib
# here and pinned as literals, so any drift of the formula or of the canonical form fails.
# --------------------------------------------------------------------------------------------

CANONICAL_1 = (
    '{"ator_id":"3f0e6d2a-9c1b-4e5f-8a7d-2b6c4e8f1a3d","ator_tipo":"INVESTIDOR",'
    '"dados_evento":{"cotas":10,"cpr_id":"c0ffee00-0000-4000-8000-000000000001",'
    '"observacao":"safra de café — 2025/26","valor_usdc":"1500.00000000"},'
    '"id":1,"timestamp":"2025-09-30T14:40:00.123456Z","tipo_evento":"INVESTIMENTO_REALIZADO"}'
)
HASH_1 = "caa6f53c918ba475af3379df403f44ea5aea92357d08a2c35a2faedd5aaa1e46"
CANONICAL_2 = (
    '{"ator_id":null,"ator_tipo":null,"dados_evento":{"aprovado":true,"lista":[1,"2",null],'
    '"nota":"aspas \\" barra \\\\ quebra \\n fim","parcela":3,"vazio":{}},'
    '"id":2,"timestamp":"2025-10-01T00:00:00.000000Z","tipo_evento":"PARCELA_PAGA"}'
)
HASH_2 = "5fd52f027d5b8c4304e2594ba558a9920c78f8dce446fe9ad297eeb9cc680227"

BRT = timezone(timedelta(hours=-3))

EVENT_1 = LedgerEvent(
    id=1,
    # 11:40 in Brasília is 14:40 UTC: the hash always uses UTC.
    timestamp=datetime(2025, 9, 30, 11, 40, 0, 123456, tzinfo=BRT),
    tipo_evento="INVESTIMENTO_REALIZADO",
    ator_id=uuid.UUID("3F0E6D2A-9C1B-4E5F-8A7D-2B6C4E8F1A3D"),
    ator_tipo="INVESTIDOR",
    # Insertion order differs from the canonical (sorted) order on purpose.
    dados_evento={
        "valor_usdc": "1500.00000000",
        "observacao": "safra de café — 2025/26",
        "cpr_id": "c0ffee00-0000-4000-8000-000000000001",
        "cotas": 10,
    },
)
EVENT_2 = LedgerEvent(
    id=2,
    timestamp=datetime(2025, 10, 1, tzinfo=UTC),
    tipo_evento="PARCELA_PAGA",
    ator_id=None,
    ator_tipo=None,
    dados_evento={
        "vazio": {},
        "parcela": 3,
        "nota": 'aspas " barra \\ quebra \n fim',
        "lista": (1, "2", None),
        "aprovado": True,
    },
)


def test_known_answer_first_event() -> None:
    by_hand = hashlib.sha256(("" + "\n" + CANONICAL_1).encode("utf-8")).hexdigest()
    assert by_hand == HASH_1
    assert EVENT_1.canonical_json() == CANONICAL_1.encode("utf-8")
    assert hash_preimage(None, EVENT_1) == ("\n" + CANONICAL_1).encode("utf-8")
    assert compute_hash(None, EVENT_1) == HASH_1


def test_known_answer_chained_event() -> None:
    by_hand = hashlib.sha256((HASH_1 + "\n" + CANONICAL_2).encode("utf-8")).hexdigest()
    assert by_hand == HASH_2
    assert EVENT_2.canonical_json() == CANONICAL_2.encode("utf-8")
    assert compute_hash(HASH_1, EVENT_2) == HASH_2


def test_known_answer_through_the_template() -> None:
    for previous, event, expected in ((None, EVENT_1, HASH_1), (HASH_1, EVENT_2, HASH_2)):
        template = event_template(
            tipo_evento=event.tipo_evento,
            ator_id=event.ator_id,
            ator_tipo=event.ator_tipo,
            dados_evento=event.dados_evento,
        )
        assert template.hash(previous, event.id, event.timestamp) == expected


def test_canonical_object_has_exactly_the_six_fields() -> None:
    assert json.loads(CANONICAL_1) == EVENT_1.canonical_object()
    assert set(EVENT_1.canonical_object()) == {
        "id",
        "timestamp",
        "tipo_evento",
        "ator_id",
        "ator_tipo",
        "dados_evento",
    }


@pytest.mark.parametrize(
    ("ts", "text"),
    [
        (datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC), "2025-01-02T03:04:05.000000Z"),
        (datetime(2025, 1, 2, 3, 4, 5, 7, tzinfo=UTC), "2025-01-02T03:04:05.000007Z"),
        (datetime(2025, 12, 31, 22, 0, 0, 999999, tzinfo=BRT), "2026-01-01T01:00:00.999999Z"),
        (datetime(999, 1, 1, tzinfo=UTC), "0999-01-01T00:00:00.000000Z"),
    ],
)
def test_format_timestamp(ts: datetime, text: str) -> None:
    assert format_timestamp(ts) == text


def test_naive_timestamp_refused() -> None:
    with pytest.raises(ValueError, match="fuso"):
        format_timestamp(datetime(2025, 1, 1))


@pytest.mark.parametrize("previous", ["", "A" * 64, "a" * 63, "g" * 64, "a" * 65])
def test_malformed_previous_hash_refused(previous: str) -> None:
    with pytest.raises(ValueError, match="hash_anterior"):
        compute_hash(previous, EVENT_1)


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------

SAFE_INT = st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1)
# BMP keys without surrogates: for them UTF-16 order (RFC 8785) equals code point order, so a
# sort_keys json.dumps is an independent reference canonicaliser.
KEYS = st.text(st.characters(max_codepoint=0xD7FF), max_size=6)
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
JSON = st.recursive(
    st.none() | st.booleans() | SAFE_INT | TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=12,
)
DADOS = st.dictionaries(KEYS, JSON, max_size=5)
TIMESTAMPS = st.datetimes(
    min_value=datetime(1970, 1, 1),
    max_value=datetime(9999, 12, 30),
    timezones=st.sampled_from([UTC, BRT, timezone(timedelta(hours=5, minutes=30))]),
)
PREVIOUS = st.none() | st.binary(min_size=32, max_size=32).map(bytes.hex)


@st.composite
def events(draw: st.DrawFn) -> LedgerEvent:
    return LedgerEvent(
        id=draw(st.integers(min_value=1, max_value=2**53 - 2)),
        timestamp=draw(TIMESTAMPS),
        tipo_evento=draw(TEXT),
        ator_id=draw(st.none() | st.uuids()),
        ator_tipo=draw(st.none() | TEXT),
        dados_evento=draw(DADOS),
    )


def _reference_hash(previous: str | None, event: LedgerEvent) -> str:
    obj = {
        "id": event.id,
        "timestamp": event.timestamp.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "tipo_evento": event.tipo_evento,
        "ator_id": None if event.ator_id is None else str(event.ator_id),
        "ator_tipo": event.ator_tipo,
        "dados_evento": event.dados_evento,
    }
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(((previous or "") + "\n" + text).encode("utf-8")).hexdigest()


@LEDGER
@given(previous=PREVIOUS, event=events())
def test_hash_matches_an_independent_canonicaliser(
    previous: str | None, event: LedgerEvent
) -> None:
    digest = compute_hash(previous, event)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    if event.timestamp.astimezone(UTC).year >= 1000:  # strftime %Y does not pad below 1000
        assert digest == _reference_hash(previous, event)


@LEDGER
@given(previous=PREVIOUS, event=events())
def test_template_gives_the_same_hash(previous: str | None, event: LedgerEvent) -> None:
    template = event_template(
        tipo_evento=event.tipo_evento,
        ator_id=event.ator_id,
        ator_tipo=event.ator_tipo,
        dados_evento=event.dados_evento,
    )
    assert template.hash(previous, event.id, event.timestamp) == compute_hash(previous, event)


@LEDGER
@given(event=events())
def test_canonical_form_ignores_key_order(event: LedgerEvent) -> None:
    def reverse(value: object) -> object:
        if isinstance(value, dict):
            return {k: reverse(value[k]) for k in reversed(list(value))}
        if isinstance(value, list):
            return [reverse(v) for v in value]
        return value

    shuffled = LedgerEvent(
        id=event.id,
        timestamp=event.timestamp,
        tipo_evento=event.tipo_evento,
        ator_id=event.ator_id,
        ator_tipo=event.ator_tipo,
        dados_evento=reverse(dict(event.dados_evento)),  # type: ignore[arg-type]
    )
    assert shuffled.canonical_json() == event.canonical_json()
    assert json.loads(event.canonical_json()) == json.loads(
        rfc8785.dumps(json.loads(event.canonical_json()))
    )


@LEDGER
@given(previous=PREVIOUS, event=events(), other=PREVIOUS)
def test_every_field_is_bound_by_the_hash(
    previous: str | None, event: LedgerEvent, other: str | None
) -> None:
    digest = compute_hash(previous, event)
    if other != previous:
        assert compute_hash(other, event) != digest
    changed = [
        LedgerEvent(
            event.id + 1,
            event.timestamp,
            event.tipo_evento,
            event.ator_id,
            event.ator_tipo,
            event.dados_evento,
        ),
        LedgerEvent(
            event.id,
            event.timestamp + timedelta(microseconds=1),
            event.tipo_evento,
            event.ator_id,
            event.ator_tipo,
            event.dados_evento,
        ),
        LedgerEvent(
            event.id,
            event.timestamp,
            event.tipo_evento + "x",
            event.ator_id,
            event.ator_tipo,
            event.dados_evento,
        ),
        LedgerEvent(
            event.id,
            event.timestamp,
            event.tipo_evento,
            uuid.UUID(int=(event.ator_id.int + 1) % 2**128) if event.ator_id else uuid.UUID(int=0),
            event.ator_tipo,
            event.dados_evento,
        ),
        LedgerEvent(
            event.id,
            event.timestamp,
            event.tipo_evento,
            event.ator_id,
            (event.ator_tipo or "") + "x",
            event.dados_evento,
        ),
        LedgerEvent(
            event.id,
            event.timestamp,
            event.tipo_evento,
            event.ator_id,
            event.ator_tipo,
            {**event.dados_evento, "\x7fextra": 1},
        ),
    ]
    for variant in changed:
        assert compute_hash(previous, variant) != digest


def test_floats_cannot_be_canonicalised_silently() -> None:
    # compute_hash is the bare formula; the guard is what keeps floats out of new events.
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


# --------------------------------------------------------------------------------------------
# The personal-data guard
# --------------------------------------------------------------------------------------------


def _cpf(base: str) -> str:
    digits = [int(c) for c in base]
    for n in (9, 10):
        digits.append(sum(d * (n + 1 - i) for i, d in enumerate(digits[:n])) * 10 % 11 % 10)
    return "".join(map(str, digits))


CPF_BASES = st.text("0123456789", min_size=9, max_size=9).filter(lambda s: len(set(s)) > 1)
CPFS = CPF_BASES.map(_cpf)


def _nest(value: object, path: list[str | int]) -> dict[str, object]:
    for step in reversed(path):
        value = [value] if isinstance(step, int) else {step: value}
    if not isinstance(value, dict):
        value = {"itens": value}
    return value


PATHS = st.lists(st.sampled_from(["pagamento", "detalhes", "meta", 0]), max_size=4)


def test_cpf_helper_builds_valid_cpfs() -> None:
    assert _cpf("529982247") == "52998224725"
    assert is_valid_cpf(_cpf("123456789"))


@pytest.mark.parametrize(
    "key",
    [
        "cpf",
        "CPF",
        "cpf_investidor",
        "cpfInvestidor",
        "nome",
        "Nome",
        "nome_completo",
        "nomeCompleto",
        "email",
        "e-mail",
        "E_Mail",
        "emailContato",
        "celular",
        "telefone",
        "Telefone Fixo",
        "banco",
        "dados_bancarios",
        "agencia",
        "agência",
        "conta",
        "numero_conta",
        "senha",
        "password",
        "senha_hash",
        "token",
        "endereco",
        "endereço",
        "cep",
        "data_nascimento",
        "chave_pix",
        "cpf_id",
        "email_id",
    ],
)
def test_personal_keys_refused(key: str) -> None:
    with pytest.raises(PersonalDataError) as info:
        check_no_personal_data({"ok": 1, "nivel": {key: "x"}})
    assert info.value.caminho == "dados_evento.nivel"
    assert info.value.codigo == "dados_pessoais_no_ledger"


def test_refused_key_is_not_echoed() -> None:
    # The key itself may carry the personal data ("nome_maria_silva"): it is never repeated.
    with pytest.raises(PersonalDataError) as info:
        check_no_personal_data({"nome_maria_silva": True})
    assert "maria" not in str(info.value)
    assert info.value.categoria == "nome"


@pytest.mark.parametrize(
    ("value", "categoria"),
    [
        ("529.982.247-25", "CPF"),
        ("111.222.333-44", "CPF"),  # formatted: refused even with wrong check digits
        ("52998224725", "CPF"),
        ("CPF 52998224725 do pagador", "CPF"),
        ("maria.silva@example.com.br", "e-mail"),
        ("contato: joao+ledger@exemplo.org", "e-mail"),
        ("(11) 91234-5678", "telefone"),
        ("+55 11 91234-5678", "telefone"),
        ("11 3456-7890", "telefone"),
        ("91234-5678", "telefone"),
        ("+5511912345678", "telefone"),
        ("11912345678", "telefone"),
        ("01310-100", "CEP"),
        ("4111 1111 1111 1111", "cartão"),
        ("4111111111111111", "cartão"),
    ],
)
def test_personal_values_refused(value: str, categoria: str) -> None:
    with pytest.raises(PersonalDataError) as info:
        check_no_personal_data({"pagamento": {"detalhes": [{"texto": value}]}})
    assert info.value.categoria == categoria
    assert info.value.caminho == "dados_evento.pagamento.detalhes[0].texto"
    assert value not in str(info.value)
    assert "dados pessoais" in str(info.value)


def test_personal_data_as_a_key_is_refused_without_echo() -> None:
    with pytest.raises(PersonalDataError) as info:
        check_no_personal_data({"saldos": {"maria@example.com": "10.00"}})
    assert "maria" not in str(info.value)
    assert info.value.caminho == "dados_evento.saldos"


def test_cpf_as_a_number_is_refused() -> None:
    with pytest.raises(PersonalDataError):
        check_no_personal_data({"documento_numero": 52998224725})


@pytest.mark.parametrize(
    "dados",
    [
        {"cpr_id": str(uuid.uuid4()), "valor_usdc": "1500.00000000", "quantidade_cotas": 10},
        {"conta_bancaria_id": str(uuid.uuid4()), "carteira_id": str(uuid.uuid4())},
        {"safra": "2024-2025", "vencimento": "2025-09-30", "status": "CAPTAÇÃO"},
        {"documento_sha256": "ab" * 32, "hash": "0123456789" * 6 + "abcd"},
        {"valor_brl": "12345678.90", "taxa": "0.0150", "parcela": 3, "aprovado": True},
        {"epoch": 1_700_000_000, "contagem": 99_999_999_999_999},
        {"lista": [], "vazio": {}, "nulo": None, "tipo": "SAQUE_PIX"},
        {"nota": "pagamento da parcela 3 de 12 (CPR 2025/0042)"},
    ],
)
def test_pseudonymous_data_accepted(dados: dict[str, object]) -> None:
    check_no_personal_data(dados)
    assert validate_dados_evento(dados) == dados


@LEDGER
@given(cpf=CPFS, formatted=st.booleans(), path=PATHS, prefix=st.sampled_from(["", "doc ", "x: "]))
def test_any_cpf_at_any_depth_is_refused(
    cpf: str, formatted: bool, path: list[str | int], prefix: str
) -> None:
    text = f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}" if formatted else cpf
    with pytest.raises(PersonalDataError) as info:
        check_no_personal_data(_nest(prefix + text, [*path, "valor"]))
    assert cpf not in str(info.value)
    assert text not in str(info.value)


@LEDGER
@given(
    user=st.from_regex(r"[a-z][a-z0-9._]{0,10}", fullmatch=True),
    domain=st.from_regex(r"[a-z]{2,8}\.(com|com\.br|org)", fullmatch=True),
    path=PATHS,
)
def test_any_email_is_refused(user: str, domain: str, path: list[str | int]) -> None:
    address = f"{user}@{domain}"
    with pytest.raises(PersonalDataError) as info:
        check_no_personal_data(_nest(address, [*path, "destino"]))
    assert address not in str(info.value)


@LEDGER
@given(
    area=st.integers(11, 99).filter(lambda n: n % 10 != 0),
    number=st.integers(0, 99_999_999),
    style=st.sampled_from(["({a}) 9{p}-{s}", "+55 {a} 9{p}-{s}", "{a}9{p}{s}", "9{p}-{s}"]),
)
def test_any_mobile_phone_is_refused(area: int, number: int, style: str) -> None:
    digits = f"{number:08d}"
    phone = style.format(a=area, p=digits[:4], s=digits[4:])
    with pytest.raises(PersonalDataError) as info:
        check_no_personal_data({"contato": {"numero_destino": phone}})
    assert phone not in str(info.value)


@LEDGER
@given(value=st.floats(allow_nan=True, allow_infinity=True), path=PATHS)
def test_floats_refused_anywhere(value: float, path: list[str | int]) -> None:
    with pytest.raises(InvalidEventDataError, match="ponto flutuante"):
        check_no_personal_data(_nest(value, [*path, "valor"]))


@LEDGER
@given(
    amount=st.decimals(min_value=0, max_value=10**9, places=8, allow_nan=False),
    cotas=st.integers(0, 10**6),
    ids=st.lists(st.uuids().map(str), max_size=3),
    status=st.sampled_from(["ANALISE", "CAPTAÇÃO", "FINANCIADO", "PAGA", "INADIMPLENTE"]),
)
def test_generated_pseudonymous_events_pass(
    amount: object, cotas: int, ids: list[str], status: str
) -> None:
    dados = {"valor_usdc": str(amount), "cotas": cotas, "investimentos": ids, "status": status}
    assert validate_dados_evento(dados) == dados


@pytest.mark.parametrize(
    ("dados", "fragment"),
    [
        ([1, 2], "objeto"),
        ("{}", "objeto"),
        (None, "objeto"),
        ({"x": 1.0}, "ponto flutuante"),
        ({"x": [{"y": 0.5}]}, "ponto flutuante"),
        ({"x": b"bytes"}, "tipo não suportado"),
        ({"x": {1, 2}}, "tipo não suportado"),
        ({"x": datetime.now(tz=UTC)}, "tipo não suportado"),
        ({"x": __import__("decimal").Decimal("1.5")}, "tipo não suportado"),
        ({"x": 2**53}, "intervalo seguro"),
        ({"x": -(2**60)}, "intervalo seguro"),
        ({1: "x"}, "chave não textual"),
        ({"x": "a\x00b"}, "NUL"),
        ({"x": "\ud800"}, "UTF-8"),
    ],
)
def test_non_json_refused(dados: object, fragment: str) -> None:
    with pytest.raises(InvalidEventDataError, match=fragment) as info:
        check_no_personal_data(dados)
    assert isinstance(info.value, LedgerDataError)
    assert isinstance(info.value, ValueError)


def test_depth_limit() -> None:
    deep: object = "fim"
    for _ in range(40):
        deep = {"n": deep}
    with pytest.raises(InvalidEventDataError, match="aninhamento"):
        check_no_personal_data(deep)


def test_mappings_and_tuples_are_normalised() -> None:
    from types import MappingProxyType

    dados = MappingProxyType({"lista": (1, (2, 3)), "sub": MappingProxyType({"a": "b"})})
    assert validate_dados_evento(dados) == {"lista": [1, [2, 3]], "sub": {"a": "b"}}


@pytest.mark.parametrize(
    ("tipo_evento", "ator_tipo", "fragment"),
    [
        ("", None, "tipo_evento"),
        ("   ", None, "tipo_evento"),
        ("X" * 101, None, "100"),
        ("CADASTRO", "", "ator_tipo"),
        ("CADASTRO", "Y" * 51, "50"),
    ],
)
def test_event_fields_validated(tipo_evento: str, ator_tipo: str | None, fragment: str) -> None:
    with pytest.raises(InvalidEventDataError, match=fragment):
        validate_event_fields(tipo_evento, ator_tipo)


def test_event_fields_refuse_personal_data() -> None:
    with pytest.raises(PersonalDataError):
        validate_event_fields("CADASTRO 529.982.247-25", None)
    validate_event_fields("X" * 100, "Y" * 50)
