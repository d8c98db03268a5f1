"""``GET /v1/ping``: a bare liveness endpoint (no PostgreSQL, no Redis)."""
