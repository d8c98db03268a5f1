"""Demo data: a believable Brazilian data set to try the product (``peerseed-server seed-demo``).

This module only holds the constants other parts show to people (the desktop's login window lists
the demo accounts); it imports nothing heavy. The seeding itself is :mod:`sync_server.demo.seed`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from shared_models.enums import Perfil

__all__ = ["DEMO_ACCOUNTS", "DEMO_PASSWORD", "DemoAccount"]

# Public on purpose: printed by seed-demo and quoted in the README. Demo databases only.
DEMO_PASSWORD: Final = "Colheita!2026"  # noqa: S105
"""The password of every demo account (stored as an Argon2id hash, never in clear).

It passes the platform's own password policy (``sync_server.auth.passwords``), which refuses
"Peerseed…" as too guessable."""


@dataclass(frozen=True, slots=True)
class DemoAccount:
    """One account to log in with, per profile."""

    email: str
    perfil: Perfil
    nome: str


DEMO_ACCOUNTS: Final[tuple[DemoAccount, ...]] = (
    DemoAccount("agricultor@example.com", Perfil.AGRICULTOR, "João Carlos Pereira"),
    DemoAccount("investidor@example.com", Perfil.INVESTIDOR, "Carla Mendes Rocha"),
    DemoAccount("agente@example.com", Perfil.AGENTE_CAMPO, "Paulo Roberto Siqueira"),
    DemoAccount("admin@example.com", Perfil.ADMIN, "Rafael Teixeira Nogueira"),
)
