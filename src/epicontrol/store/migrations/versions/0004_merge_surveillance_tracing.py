"""Merge the surveillance (0002) and tracing (0003) branches into one head.

Revision ID: 0004
Revises: 0002, 0003
Create Date: 2026-11-22

Both branches start from 0001 and touch disjoint tables, so the merge has
no operations of its own.
"""

from collections.abc import Sequence

revision: str = "0004"
down_revision: str | Sequence[str] | None = ("0002", "0003")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing to change: the merge only joins the two branches."""


def downgrade() -> None:
    """Nothing to change: downgrading splits the head back into 0002 and 0003."""
