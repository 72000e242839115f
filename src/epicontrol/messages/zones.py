"""User-facing text of the zones domain (keys prefixed ``zones.``)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {}
