"""API schemas of the accounts endpoints (requests are validated and normalised here)."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import datetime
from json.encoder import encode_basestring
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared_models.contact import (
    InvalidEmailError,
    InvalidPhoneError,
    normalize_email,
    normalize_mobile,
)
from shared_models.cpf import InvalidCpfError, normalize_cpf
from shared_models.enums import Perfil, StatusKyc
from sync_server.auth.otp import OtpPurpose
from sync_server.auth.sessions import uuid_text

SIGNUP_PROFILES = (Perfil.AGRICULTOR, Perfil.INVESTIDOR)


class FieldError(ValueError):
    """A validation error whose Portuguese message reaches the client (see sync_server.errors)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.user_message = message


def _email(value: str) -> str:
    try:
        return normalize_email(value)
    except InvalidEmailError as exc:
        raise FieldError(exc.message) from None


def _cpf(value: str) -> str:
    try:
        return normalize_cpf(value)
    except InvalidCpfError as exc:
        raise FieldError(exc.message) from None


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=1024)


class SignupIn(_In):
    nome_completo: str = Field(min_length=1, max_length=255, examples=["Maria da Silva"])
    email: str = Field(examples=["maria@example.com"])
    cpf: str = Field(examples=["529.982.247-25"])
    celular: str = Field(examples=["(65) 99999-0000"])
    senha: str = Field(min_length=1, max_length=1024)
    perfil: Perfil = Field(examples=["AGRICULTOR"])

    @field_validator("nome_completo")
    @classmethod
    def _nome(cls, value: str) -> str:
        name = " ".join(unicodedata.normalize("NFC", value).split())
        if len(name) < 3:
            raise FieldError("Informe o nome completo.")
        return name

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return _email(value)

    @field_validator("cpf")
    @classmethod
    def _cpf(cls, value: str) -> str:
        return _cpf(value)

    @field_validator("celular")
    @classmethod
    def _celular(cls, value: str) -> str:
        try:
            return normalize_mobile(value)
        except InvalidPhoneError as exc:
            raise FieldError(exc.message) from None

    @field_validator("perfil")
    @classmethod
    def _perfil(cls, value: Perfil) -> Perfil:
        if value not in SIGNUP_PROFILES:
            raise FieldError("O cadastro é aberto apenas aos perfis AGRICULTOR e INVESTIDOR.")
        return value


class SignupOut(BaseModel):
    id: uuid.UUID
    nome_completo: str
    email: str
    perfil: Perfil
    status_kyc: StatusKyc
    carteira_id: uuid.UUID


class DispositivoIn(_In):
    id: uuid.UUID = Field(description="Identificador do dispositivo, gerado pelo aplicativo.")
    nome: str = Field(min_length=1, max_length=100, examples=["Notebook da cooperativa"])

    @field_validator("nome")
    @classmethod
    def _nome(cls, value: str) -> str:
        name = " ".join(value.split())
        if not name:
            raise FieldError("Informe o nome do dispositivo.")
        return name


class LoginIn(_In):
    identificador: str = Field(
        min_length=1, max_length=255, description="E-mail ou CPF.", examples=["maria@example.com"]
    )
    senha: str = Field(min_length=1, max_length=1024)
    dispositivo: DispositivoIn

    @field_validator("identificador")
    @classmethod
    def _identificador(cls, value: str) -> str:
        text = value.strip()
        if "@" in text:
            return _email(text)
        if not any(c.isdigit() for c in text):
            raise FieldError("Informe o e-mail ou o CPF.")
        return _cpf(text)


class LoginOut(BaseModel):
    token: str = Field(description="Token de sessão opaco; envie em Authorization: Bearer.")
    token_tipo: Literal["Bearer"] = "Bearer"  # noqa: S105 - the scheme name
    sessao_id: str
    usuario_id: uuid.UUID
    perfil: Perfil
    expira_apos_inatividade_s: int


class MeOut(BaseModel):
    usuario_id: uuid.UUID
    perfil: Perfil
    sessao_id: str
    dispositivo_id: uuid.UUID | None


def me_json(
    *, usuario_id: uuid.UUID, perfil: Perfil, sessao_id: str, dispositivo_id: uuid.UUID | None
) -> bytes:
    """The JSON body of :class:`MeOut`, built without pydantic (``GET /v1/auth/me`` is the
    authenticated hot path; its values are already typed). Same fields, order and encoding as
    ``MeOut(...).model_dump_json()``, checked by the tests."""
    device = b"null" if dispositivo_id is None else b'"%s"' % uuid_text(dispositivo_id).encode()
    return b'{"usuario_id":"%s","perfil":%s,"sessao_id":%s,"dispositivo_id":%s}' % (
        uuid_text(usuario_id).encode(),
        encode_basestring(perfil.value).encode(),
        encode_basestring(sessao_id).encode(),  # JSON string, non-ASCII kept (as pydantic does)
        device,
    )


class SessaoOut(BaseModel):
    id: str
    dispositivo_id: uuid.UUID | None
    dispositivo_nome: str | None
    criada_em: datetime
    ultimo_acesso: datetime
    ip: str | None
    user_agent: str | None
    atual: bool


class DispositivoOut(BaseModel):
    dispositivo_id: uuid.UUID
    nome: str
    data_registro: datetime
    ultimo_login: datetime


class TrocaSenhaIn(_In):
    senha_atual: str = Field(min_length=1, max_length=1024)
    nova_senha: str = Field(min_length=1, max_length=1024)


class OtpIn(_In):
    finalidade: OtpPurpose


class OtpOut(BaseModel):
    finalidade: OtpPurpose
    enviado_para: str = Field(description="Celular de destino, mascarado.")
    expira_em_s: int
