"""The shared field rules: one set for the server's signup and the offline onboarding form."""

from __future__ import annotations

import pytest
from pydantic import BaseModel, ValidationError

from shared_models import fields
from shared_models.fields import FieldError, NomeCompleto, normalize_name
from shared_models.sync import mutations


class _Person(BaseModel):
    nome: NomeCompleto


def test_name_is_normalised() -> None:
    assert normalize_name("  Maria   da\tSilva  ") == "Maria da Silva"
    decomposed = "Jose\u0301 Conceic\u0327a\u0303o"
    assert normalize_name(decomposed) == "José Conceição"


@pytest.mark.parametrize("value", ["", "  ", "Jo", "x" * 256, "Ana\x00Paula", "Ana\u200bPaula"])
def test_bad_names_are_refused_without_echoing_them(value: str) -> None:
    with pytest.raises(FieldError) as info:
        normalize_name(value)
    message = info.value.user_message
    assert message and (not value.strip() or value.strip() not in message)


def test_implausible_names_are_left_to_the_kyc_pre_check() -> None:
    # Digits or a lone word are accepted here: the KYC pre-check sends them to manual analysis,
    # so a field agent's offline form and a signup accept exactly the same names.
    assert normalize_name("Fazenda 3 Irmãos") == "Fazenda 3 Irmãos"


def test_non_text_is_refused() -> None:
    with pytest.raises(FieldError):
        normalize_name(123)


def test_the_onboarding_intent_and_the_server_share_the_rules() -> None:
    args = mutations.ProdutorRegistrarV1.model_fields
    assert args["nome_completo"].metadata == _Person.model_fields["nome"].metadata
    assert mutations.ArgumentError is FieldError
    with pytest.raises(ValidationError) as info:
        _Person(nome="A")
    assert "mínimo de 3" in str(info.value)


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        (fields.Cpf, "111.111.111-11"),
        (fields.Email, "sem-arroba"),
        (fields.Celular, "123"),
        (fields.CodigoBanco, "99999"),
        (fields.Agencia, "abc"),
        (fields.NumeroConta, "x"),
    ],
)
def test_each_field_type_refuses_with_a_field_error(field: object, bad: str) -> None:
    class _M(BaseModel):
        v: field  # type: ignore[valid-type]

    with pytest.raises(ValidationError) as info:
        _M(v=bad)
    error = info.value.errors()[0]["ctx"]["error"]
    assert isinstance(error, FieldError)
    assert bad not in error.user_message
