"""Arguments of ``produtor.registrar`` intents for the client-side tests (fresh identities)."""

from __future__ import annotations

import base64
from typing import Any

from tests.sync_server.accounts_support import new_bank_account, png_bytes
from tests.sync_server.auth_support import new_cpf, new_mobile


def _b64(content: bytes) -> str:
    return base64.b64encode(content).decode()


def producer_args(
    *, cpf: str | None = None, documents: int = 2, bank: bool = True, **overrides: Any
) -> dict[str, Any]:
    """A producer as the onboarding form would queue it: personal data, bank account, photos."""
    tipos = ["RG", "SELFIE", "COMPROVANTE_RESIDENCIA", "CNH"]
    args: dict[str, Any] = {
        "nome_completo": "José Ribamar dos Santos",
        "cpf": cpf or new_cpf(),
        "celular": new_mobile(),
        "documentos": [
            {"tipo": tipos[i % len(tipos)], "conteudo_base64": _b64(png_bytes())}
            for i in range(documents)
        ],
    }
    if bank:
        args["conta_bancaria"] = new_bank_account()
    args.update(overrides)
    return args
