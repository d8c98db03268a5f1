"""``peerseed`` options: the server URL (flag, environment, default) and demo mode."""

from __future__ import annotations

import pytest

from desktop.__main__ import parse_args


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PEERSEED_SERVER_URL", raising=False)
    args = parse_args([])
    assert (args.server, args.demo, args.lang) == ("http://127.0.0.1:8000", False, "pt_BR")


def test_environment_then_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PEERSEED_SERVER_URL", "https://api.peerseed.com.br/")
    assert parse_args([]).server == "https://api.peerseed.com.br"
    args = parse_args(["--server", "http://10.0.0.5:8000", "--demo", "--lang", "en"])
    assert (args.server, args.demo, args.lang) == ("http://10.0.0.5:8000", True, "en")
