"""Password policy, Argon2id hashing and the automated KYC pre-check."""

from __future__ import annotations

import pytest
from argon2 import Type

from shared_models.enums import StatusKyc
from sync_server.auth.kyc_precheck import precheck
from sync_server.auth.passwords import (
    WeakPasswordError,
    check_password_policy,
    common_passwords,
    default_parameters,
    hash_password,
    needs_rehash,
    verify_password,
)

CPF = "52998224725"
EMAIL = "maria.silva@example.com"


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("curta1!", "senha_curta"),
        ("x" * 129, "senha_longa"),
        ("aaaaaaaaaaaa", "senha_repetitiva"),
        ("52998224725", "senha_contem_cpf"),
        ("529.982.247-25!", "senha_contem_cpf"),
        ("minha52998224725senha", "senha_contem_cpf"),
        ("maria.silva@example.com", "senha_contem_email"),
        ("Maria.Silva2024!", "senha_contem_email"),
        ("1234567890", "senha_comum"),
        ("QwertyUiop", "senha_comum"),
        ("flamengo2024!", "senha_comum"),
        ("Senha12345", "senha_comum"),
        ("password123", "senha_comum"),
    ],
)
def test_policy_refuses_weak_passwords(password: str, code: str) -> None:
    with pytest.raises(WeakPasswordError) as info:
        check_password_policy(password, cpf=CPF, email=EMAIL)
    assert info.value.code == code
    assert password not in info.value.message


@pytest.mark.parametrize("password", ["Xr7!kd93-plq", "trator vermelho na roça", "Ps-Zm0_q8LwH2c"])
def test_policy_accepts_reasonable_passwords(password: str) -> None:
    check_password_policy(password, cpf=CPF, email=EMAIL)


def test_common_password_list_ships_with_the_package() -> None:
    listed = common_passwords()
    assert len(listed) > 150
    assert "123456" in listed and "senha" in listed


def test_argon2id_round_trip_and_timing_safe_unknown_account() -> None:
    stored = hash_password("Xr7!kd93-plq")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "Xr7!kd93-plq")
    assert not verify_password(stored, "Xr7!kd93-plr")
    assert not verify_password(None, "Xr7!kd93-plq")
    assert not verify_password("não é um hash", "x")
    assert not needs_rehash(stored)
    assert needs_rehash("não é um hash")


@pytest.mark.parametrize(
    ("name", "cpf", "status", "reasons"),
    [
        ("Maria Aparecida da Silva", CPF, StatusKyc.PENDENTE, ()),
        ("José D'Ávila-Souza Jr.", CPF, StatusKyc.PENDENTE, ()),
        ("Maria", CPF, StatusKyc.ANALISE_MANUAL, ("nome_incompleto",)),
        ("Maria S1lva", CPF, StatusKyc.ANALISE_MANUAL, ("nome_caracteres",)),
        ("Aaaa Bbbb", CPF, StatusKyc.ANALISE_MANUAL, ("nome_repeticao",)),
        ("Silva Silva", CPF, StatusKyc.ANALISE_MANUAL, ("nome_repeticao",)),
        ("Maria Silva", "12345678909", StatusKyc.ANALISE_MANUAL, ("cpf_exemplo",)),
        ("Maria Silva", "11144477735", StatusKyc.ANALISE_MANUAL, ("cpf_exemplo",)),
    ],
)
def test_kyc_precheck_rules(
    name: str, cpf: str, status: StatusKyc, reasons: tuple[str, ...]
) -> None:
    result = precheck(nome_completo=name, cpf=cpf)
    assert result.status is status
    assert result.reasons == reasons


def test_production_profile_is_argon2id_rfc9106_low_memory() -> None:
    assert default_parameters() == (Type.ID, 3, 65536, 4)
