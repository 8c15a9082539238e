"""The server's settings: one model read from flags, the environment (``FLOWGEN_`` prefix) and ``.env``.

``FLOWGEN_API_KEYS`` is a comma-separated list. Keys are kept as secrets (never shown in a repr or a
log) and are hashed as soon as the app is built (see :mod:`flowgen.server.api_keys`).

Example:
    >>> settings = ServerSettings(api_keys="k1, k2", _env_file=None)
    >>> len(settings.api_keys), settings.port
    (2, 8123)
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LOOPBACK = "127.0.0.1"


class ServerSettings(BaseSettings):
    """What ``flowgen serve`` and :func:`flowgen.server.create_app` are configured with."""

    model_config = SettingsConfigDict(env_prefix="FLOWGEN_", env_file=".env", extra="ignore")

    host: str = LOOPBACK
    port: int = Field(default=8123, ge=0, le=65535)
    api_keys: Annotated[list[SecretStr], NoDecode] = []
    api_key_header: str = Field(default="X-API-Key", min_length=1)
    insecure_no_auth: bool = False
    store: str = "runs.db"
    max_body_bytes: int = Field(default=1_000_000, gt=0)
    allowed_origins: Annotated[list[str], NoDecode] = []
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"
    # Runs (flowgen.server.run_registry): heartbeats, limits, shutdown, and how long finished runs are kept.
    heartbeat_seconds: float = Field(default=15.0, gt=0, description="an SSE `: ping` after this long idle")
    max_concurrent_runs: int = Field(default=64, gt=0, description="runs past this wait, status pending")
    run_timeout_seconds: float = Field(default=3600.0, gt=0, description="a run's longest time running")
    shutdown_grace_seconds: float = Field(default=30.0, ge=0, description="SIGTERM: time runs get to stop")
    run_retention_seconds: float = Field(default=3600.0, ge=0, description="a finished run is kept this long")
    max_retained_runs: int = Field(default=1000, ge=0, description="at most this many finished runs kept")

    @field_validator("api_keys", "allowed_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value
