"""Settings of the API (token lifetime, cookie, page sizes) and the signing secret.

Read from the environment with the prefix ``EPICONTROL_API__`` when the app
is created (never at import), e.g. ``EPICONTROL_API__SECRET=...``,
``EPICONTROL_API__TOKEN_MINUTES=480``.  Without a configured secret one is
generated once per workspace and kept in ``<workspace>/secret.key`` (mode
0600), so every worker process and every restart signs with the same key.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ..config import Settings

SECRET_FILE = "secret.key"


class ApiSettings(BaseSettings):
    """Configuration of the API layer (all optional)."""

    model_config = SettingsConfigDict(env_prefix="EPICONTROL_API__", extra="ignore")

    #: HMAC key of the access tokens (HS256); default: ``<workspace>/secret.key``.
    secret: SecretStr | None = None
    #: Lifetime of an access token.
    token_minutes: int = Field(720, ge=1, le=7 * 24 * 60)
    cookie_name: str = "epicontrol_token"
    #: Send the cookie only over HTTPS (set behind a TLS-terminating proxy).
    cookie_secure: bool = False
    #: Largest ``limit`` of a list request.
    max_page: int = Field(500, ge=1, le=10_000)
    default_page: int = Field(50, ge=1, le=10_000)
    #: Requests one worker process works on at once; the others wait their turn on the
    #: event loop (no thread, no connection held).  Each request holds at most one
    #: connection, so the pool below never makes a request wait while holding one.
    max_in_flight: int = Field(10, ge=1, le=200)
    #: Connection pool of one worker process (PostgreSQL; SQLite uses its default):
    #: ``None`` = ``max_in_flight`` + 2 (the board's background refresh and a spare).
    db_pool_size: int | None = Field(None, ge=1, le=200)
    #: Extra connections beyond the pool, opened when needed and closed after:
    #: ``None`` = ``max_in_flight`` (a first board build beside its request's session).
    db_max_overflow: int | None = Field(None, ge=0, le=200)
    #: Age under which the city board is served from the process's cache (s); an older
    #: one is served while a new one is computed, up to three times this.  A build costs
    #: 0.5-1 s of CPU on the demo city, per worker: on 2 cores a 15 s TTL cost 0.1 cores
    #: and a visible share of the p99 under load, hence 30 s.
    board_ttl_seconds: float = Field(30.0, gt=0, le=3600)
    #: City facts (time zone, epoch) kept per process (s); a city is imported rarely.
    city_ttl_seconds: float = Field(60.0, gt=0, le=3600)

    @model_validator(mode="after")
    def _pool_covers_requests(self) -> ApiSettings:
        pool = self.pool_size()
        if pool < self.max_in_flight:
            raise ValueError(
                f"db_pool_size: must be at least max_in_flight ({self.max_in_flight}), got {pool}"
            )
        return self

    def pool_size(self) -> int:
        """Connections kept open per worker process."""
        return self.db_pool_size if self.db_pool_size is not None else self.max_in_flight + 2

    def max_overflow(self) -> int:
        """Connections opened beyond :meth:`pool_size` when needed."""
        return self.db_max_overflow if self.db_max_overflow is not None else self.max_in_flight


def _read_secret(path: Path) -> str | None:
    for _ in range(50):  # another worker may be writing it right now
        try:
            text = path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        if text:
            return text
        time.sleep(0.02)
    raise RuntimeError(f"{path} is empty: delete it to have a new secret generated")


def signing_secret(settings: Settings, api: ApiSettings) -> str:
    """The configured secret, or the workspace's ``secret.key`` (created once, 0600)."""
    if api.secret is not None and api.secret.get_secret_value():
        value = api.secret.get_secret_value()
        if len(value) < 32:
            raise ValueError("EPICONTROL_API__SECRET must be at least 32 characters")
        return value
    path = settings.workspace / SECRET_FILE
    existing = _read_secret(path)
    if existing is not None:
        return existing
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        again = _read_secret(path)
        if again is None:
            raise RuntimeError(f"{path} vanished while being created") from None
        return again
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return value
