"""Translated display labels of the domain's codes (enum values, intent names, sync states).

Codes stay as the database spells them (``CAPTAÇÃO``, ``EM_PAGAMENTO``); what the user reads is
translated here, in one place (context ``Labels`` of the Qt translation files). An unknown code
is shown as it is, so a newer server never makes a cell blank.
"""

from __future__ import annotations

from desktop.qt import QtCore

PLACEHOLDER = "—"


def _pick(labels: dict[str, str], code: object) -> str:
    if code is None or code == "":
        return PLACEHOLDER
    return labels.get(str(code), str(code))


def perfil(code: object) -> str:
    return _pick(
        {
            "AGRICULTOR": QtCore.QCoreApplication.translate("Labels", "Farmer"),
            "INVESTIDOR": QtCore.QCoreApplication.translate("Labels", "Investor"),
            "AGENTE_CAMPO": QtCore.QCoreApplication.translate("Labels", "Field agent"),
            "ADMIN": QtCore.QCoreApplication.translate("Labels", "Administrator"),
        },
        code,
    )


def cpr_status(code: object) -> str:
    return _pick(
        {
            "ANALISE": QtCore.QCoreApplication.translate("Labels", "In analysis"),
            "CAPTAÇÃO": QtCore.QCoreApplication.translate("Labels", "Fundraising"),
            "FINANCIADO": QtCore.QCoreApplication.translate("Labels", "Funded"),
            "EM_PAGAMENTO": QtCore.QCoreApplication.translate("Labels", "Repaying"),
            "QUITADO": QtCore.QCoreApplication.translate("Labels", "Paid off"),
            "INADIMPLENTE": QtCore.QCoreApplication.translate("Labels", "In default"),
        },
        code,
    )


def parcela_status(code: object) -> str:
    return _pick(
        {
            "PENDENTE": QtCore.QCoreApplication.translate("Labels", "Open", "installment"),
            "PAGA": QtCore.QCoreApplication.translate("Labels", "Paid", "installment"),
            "ATRASADA": QtCore.QCoreApplication.translate("Labels", "Overdue", "installment"),
        },
        code,
    )


def kyc_status(code: object) -> str:
    return _pick(
        {
            "PENDENTE": QtCore.QCoreApplication.translate("Labels", "Pending", "kyc"),
            "VERIFICADO": QtCore.QCoreApplication.translate("Labels", "Verified", "kyc"),
            "REPROVADO": QtCore.QCoreApplication.translate("Labels", "Rejected", "kyc"),
            "ANALISE_MANUAL": QtCore.QCoreApplication.translate("Labels", "Manual review", "kyc"),
        },
        code,
    )


def transaction_type(code: object) -> str:
    return _pick(
        {
            "DEPOSITO_PIX": QtCore.QCoreApplication.translate("Labels", "Pix deposit"),
            "DEPOSITO_CRYPTO": QtCore.QCoreApplication.translate("Labels", "Crypto deposit"),
            "SAQUE_PIX": QtCore.QCoreApplication.translate("Labels", "Pix withdrawal"),
            "SAQUE_CRYPTO": QtCore.QCoreApplication.translate("Labels", "Crypto withdrawal"),
            "INVESTIMENTO_PRIMARIO": QtCore.QCoreApplication.translate(
                "Labels", "Investment (primary)"
            ),
            "INVESTIMENTO_SECUNDARIO": QtCore.QCoreApplication.translate(
                "Labels", "Investment (secondary market)"
            ),
            "RECEBIMENTO_PARCELA": QtCore.QCoreApplication.translate(
                "Labels", "Installment received"
            ),
            "VENDA_SECUNDARIO": QtCore.QCoreApplication.translate(
                "Labels", "Sale on the secondary market"
            ),
            "TAXA_PLATAFORMA": QtCore.QCoreApplication.translate("Labels", "Platform fee"),
        },
        code,
    )


def transaction_status(code: object) -> str:
    return _pick(
        {
            "PENDENTE": QtCore.QCoreApplication.translate("Labels", "Pending", "transaction"),
            "CONCLUIDA": QtCore.QCoreApplication.translate("Labels", "Completed", "transaction"),
            "FALHOU": QtCore.QCoreApplication.translate("Labels", "Failed", "transaction"),
            "CANCELADA": QtCore.QCoreApplication.translate("Labels", "Cancelled", "transaction"),
        },
        code,
    )


def investment_status(code: object) -> str:
    return _pick(
        {
            "ATIVO": QtCore.QCoreApplication.translate("Labels", "Active", "investment"),
            "VENDIDO": QtCore.QCoreApplication.translate("Labels", "Sold", "investment"),
            "FINALIZADO": QtCore.QCoreApplication.translate("Labels", "Finished", "investment"),
        },
        code,
    )


def offer_status(code: object) -> str:
    return _pick(
        {
            "ABERTA": QtCore.QCoreApplication.translate("Labels", "Open", "offer"),
            "VENDIDA": QtCore.QCoreApplication.translate("Labels", "Sold", "offer"),
            "CANCELADA": QtCore.QCoreApplication.translate("Labels", "Cancelled", "offer"),
        },
        code,
    )


def account_type(code: object) -> str:
    return _pick(
        {
            "CORRENTE": QtCore.QCoreApplication.translate("Labels", "Checking account"),
            "POUPANCA": QtCore.QCoreApplication.translate("Labels", "Savings account"),
        },
        code,
    )


def document_type(code: object) -> str:
    return _pick(
        {
            "RG": QtCore.QCoreApplication.translate("Labels", "Identity card (RG)"),
            "CNH": QtCore.QCoreApplication.translate("Labels", "Driver's licence (CNH)"),
            "CPF": QtCore.QCoreApplication.translate("Labels", "CPF card"),
            "COMPROVANTE_RESIDENCIA": QtCore.QCoreApplication.translate(
                "Labels", "Proof of address"
            ),
            "SELFIE": QtCore.QCoreApplication.translate("Labels", "Selfie with document"),
            "OUTRO": QtCore.QCoreApplication.translate("Labels", "Other document"),
        },
        code,
    )


def intent_name(name: object) -> str:
    return _pick(
        {
            "produtor.registrar": QtCore.QCoreApplication.translate(
                "Labels", "Producer registration"
            ),
        },
        name,
    )


def intent_state(code: object) -> str:
    return _pick(
        {
            "queued": QtCore.QCoreApplication.translate("Labels", "Queued", "intent"),
            "sent": QtCore.QCoreApplication.translate("Labels", "Sent, awaiting result", "intent"),
            "applied": QtCore.QCoreApplication.translate("Labels", "Applied", "intent"),
            "rejected": QtCore.QCoreApplication.translate("Labels", "Rejected", "intent"),
        },
        code,
    )


def yes_no(value: object) -> str:
    if value is None:
        return PLACEHOLDER
    truthy = value in (1, True, "1", "true")
    return (
        QtCore.QCoreApplication.translate("Labels", "Yes")
        if truthy
        else QtCore.QCoreApplication.translate("Labels", "No")
    )
