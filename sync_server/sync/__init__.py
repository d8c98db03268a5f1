"""Sync protocol, server side: change log pull, intent push (docs/sync.md)."""
