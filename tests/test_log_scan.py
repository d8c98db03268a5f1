"""The log scanner finds secrets in clear and leaves masked lines alone."""

from __future__ import annotations

import json

from shared_models.masking import mask_text
from tests.log_scan import find_leaks, register_secret


def test_registered_secret_and_patterns_are_found() -> None:
    register_secret("Ps-segredo-de-teste-123", "senha")
    lines = [
        ("a", '{"message":"login com Ps-segredo-de-teste-123"}'),
        ("b", '{"message":"cpf 529.982.247-25"}'),
        ("c", '{"message":"cpf 52998224725 em claro"}'),
        ("d", '{"message":"hash $argon2id$v=19$m=65536"}'),
        ("e", '{"payload":{"t":"' + "ab" * 16 + "." + "S" * 16 + "." + "k" * 43 + '"}}'),
    ]
    kinds = sorted(leak.kind for leak in find_leaks(lines))
    assert kinds == ["cpf", "cpf formatado", "hash argon2", "senha", "token de sessão"]
    assert all("Ps-segredo" not in leak.line for leak in find_leaks(lines))


def test_masked_and_harmless_lines_pass() -> None:
    lines = [
        ("a", json.dumps({"message": mask_text("cpf 529.982.247-25 e 52998224725")})),
        ("b", '{"user_id":"5ae3f934-e743-479b-aa7a-f38f9bb1bccd","ms":12345678901}'),
        ("c", '{"celular":"+5565999990000","id":"12345678901"}'),  # invalid check digits
    ]
    assert find_leaks(lines) == []
