#!/usr/bin/env bash
# Runs the product: the sync server on embedded PostgreSQL and Redis (or on PEERSEED_DATABASE_URL /
# PEERSEED_REDIS_URL when set), migrated and filled with demo data. Ctrl-C stops everything.
source "$(dirname "${BASH_SOURCE[0]}")/_env.sh"
exec peerseed-server run --demo "$@"
