"""User-facing text of the special domain (keys prefixed ``special.``)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {}
