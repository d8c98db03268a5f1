"""Peerseed sync server: the authoritative PostgreSQL schema, Redis and the hash-chained ledger."""
