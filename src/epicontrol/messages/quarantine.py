"""User-facing text of the quarantine domain (keys prefixed ``quarantine.``)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {}
