"""The server's settings: one model read from flags, the environment (``FLOWGEN_`` prefix) and ``.env``.

``FLOWGEN_API_KEYS`` and ``FLOWGEN_ADMIN_API_KEYS`` are comma-separated lists. Keys are kept as secrets (never shown in a repr or a
log) and are hashed as soon as the app is built (see :mod:`flowgen.server.api_keys`).

Example:
    >>> settings = ServerSettings(api_keys="k1, k2", _env_file=None)
    >>> len(settings.api_keys), settings.port, settings.rate_limit_per_minute
    (2, 8123, 0)
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

    # --- threads, admin keys, rate and size limits, the store URL, metrics on/off ---
    admin_api_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default=[], description="keys that see every thread (FLOWGEN_ADMIN_API_KEYS=k1,k2)"
    )
    rate_limit_per_minute: int = Field(
        default=0, ge=0, description="requests a key may make per minute, sustained; 0 turns limits off"
    )
    rate_limit_burst: int = Field(
        default=0, ge=0, description="requests a key may make at once (default: one minute's worth)"
    )
    max_input_chars: int = Field(default=100_000, gt=0, description="the longest run input or resume text")
    max_metadata_bytes: int = Field(default=16_384, gt=0, description="the largest thread metadata, as JSON")
    metrics_enabled: bool = Field(default=True, description="serve /metrics (a 404 when off)")
    model: str | None = Field(
        default=None, description="model spec for the served teams when `flowgen serve` has no --model"
    )

    @field_validator("api_keys", "admin_api_keys", "allowed_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def burst(self) -> int:
        """The bucket size of the per-key rate limit: the burst given, else one minute's requests."""
        return self.rate_limit_burst or self.rate_limit_per_minute

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value
