#!/usr/bin/env bash
# Everything CI checks: lint, format, types and the whole test suite (real PostgreSQL and Redis at
# 127.0.0.1 when they answer, else embedded ones). Extra arguments go to pytest.
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
export QT_QPA_PLATFORM=offscreen

echo "==> ruff (lint)"
ruff check .
echo "==> ruff (formatação)"
ruff format --check .
echo "==> mypy"
mypy shared_models sync_server
echo "==> pytest"
workers="${PEERSEED_TEST_WORKERS:-2}"
pytest -n "$workers" -p no:cacheprovider "$@"
