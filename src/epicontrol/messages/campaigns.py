"""User-facing text of the campaigns domain (keys prefixed ``campaigns.``)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {}
