"""The sync protocol shared by the desktop engine and the server (see docs/sync.md)."""
