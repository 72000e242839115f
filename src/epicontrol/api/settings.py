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

from pydantic import Field, SecretStr
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
    #: Connection pool of one worker process (PostgreSQL; SQLite uses its default).
    db_pool_size: int = Field(20, ge=1, le=200)
    db_max_overflow: int = Field(20, ge=0, le=200)


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
