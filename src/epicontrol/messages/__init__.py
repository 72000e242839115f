"""User-facing text of each domain, in zh-CN and en (merged by :mod:`epicontrol.i18n`).

One module per domain, each a plain ``MESSAGES`` dict of ``key -> {"zh-CN": ..., "en": ...}``
with keys prefixed by the domain (``zones.``, ``tasks.``...).  The modules import
nothing, so any layer may use :func:`epicontrol.i18n.t`.  A key defined twice is
a programming error.
"""

from __future__ import annotations

from . import board, campaigns, quarantine, resources, special, tasks, twin, users, zones
from . import web as web_messages

_MODULES = (
    zones.MESSAGES,
    tasks.MESSAGES,
    quarantine.MESSAGES,
    campaigns.MESSAGES,
    resources.MESSAGES,
    special.MESSAGES,
    twin.MESSAGES,
    users.MESSAGES,
    board.MESSAGES,
    web_messages.MESSAGES,
)


def _merge() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for messages in _MODULES:
        twice = merged.keys() & messages.keys()
        if twice:
            raise KeyError(f"messages defined twice: {sorted(twice)}")
        merged.update(messages)
    return merged


DOMAIN_MESSAGES: dict[str, dict[str, str]] = _merge()
