"""Where the peers' reference vectors live (``../shared/peer-vectors`` of the checkout).

``EPICONTROL_PEER_VECTORS`` names the folder explicitly (``.ci/run`` sets it,
so CI fails instead of skipping when the vectors are missing); otherwise the
folder next to the checkout, then ``/work/shared/peer-vectors``, are tried.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def peer_vectors_dir() -> Path:
    """The peer-vector folder, or skip the test when it cannot be found."""
    explicit = os.environ.get("EPICONTROL_PEER_VECTORS")
    if explicit:
        path = Path(explicit)
        if not path.is_dir():
            raise FileNotFoundError(f"EPICONTROL_PEER_VECTORS={explicit} is not a directory")
        return path
    for path in (
        Path(__file__).resolve().parents[2] / "shared" / "peer-vectors",
        Path("/work/shared/peer-vectors"),
    ):
        if path.is_dir():
            return path
    pytest.skip("peer vectors not found: set EPICONTROL_PEER_VECTORS")
