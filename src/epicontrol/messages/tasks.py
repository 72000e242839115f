"""User-facing text of the tasks domain (keys prefixed ``tasks.``)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {}
