"""Domain code shared by the desktop app and the sync server (no Qt, FastAPI, Redis or psycopg)."""
