"""User-facing text of the resources domain (keys prefixed ``resources.``)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {}
