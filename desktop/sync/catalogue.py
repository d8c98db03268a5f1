"""The shared mutation catalogue (``shared_models.sync.mutations``) as the engine sees it.

The engine queues an intent under the newest version the catalogue holds for its name, after
validating the arguments with that version's pydantic model. What is stored (and later sent) is
the model's JSON dump: normalised (CPF digits, phone in E.164...) and frozen from then on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from shared_models.sync import mutations


@dataclass(frozen=True)
class MutationSpec:
    mutation: mutations.Mutation

    @property
    def version(self) -> int:
        return self.mutation.version

    @property
    def model(self) -> type[BaseModel]:
        return self.mutation.args

    def validate(self, args: dict[str, Any]) -> dict[str, Any]:
        """Validate ``args``; returns the JSON-ready arguments to store (raises ValidationError)."""
        model = self.mutation.args.model_validate(args)
        stored: dict[str, Any] = model.model_dump(mode="json")
        # What is stored must validate again, as the server will validate it.
        self.mutation.args.model_validate(stored)
        return stored


class SharedCatalogue:
    """Looks intents up in the shared catalogue: the newest version of each name."""

    def spec(self, name: str) -> MutationSpec | None:
        found = [m for (n, _v), m in mutations.CATALOGUE.items() if n == name]
        if not found:
            return None
        return MutationSpec(max(found, key=lambda m: m.version))

    def names(self) -> list[str]:
        return sorted({n for n, _v in mutations.CATALOGUE})


def field_errors(error: ValidationError) -> list[tuple[str, str]]:
    """``(field path, Portuguese message)`` pairs for a form (messages from the catalogue)."""
    out: list[tuple[str, str]] = []
    for item in error.errors(include_url=False, include_input=False):
        path = ".".join(str(p) for p in item.get("loc", ()))
        message = str(item.get("msg", ""))
        ctx = item.get("ctx") or {}
        err = ctx.get("error")
        if isinstance(err, mutations.ArgumentError):
            message = err.user_message
        elif message.startswith("Value error, "):
            message = message.removeprefix("Value error, ")
        out.append((path, message))
    return out
