"""alert_recipients: the recipients of each alert as indexed rows; list-order indexes

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-12 10:00:00.000000

A department officer's alerts are those routed to their department.  The
routing is kept in the alert's JSON ``recipients``; filtering it meant loading
every alert into Python.  ``alert_recipients`` holds one row per (alert,
kind, code), indexed by kind and code, kept in step with the JSON by the
``Alert`` mapper events (``domains/surveillance/models.py``).  The upgrade
fills it from the alerts already stored.

The inbox lists alerts newest first and the task lists by due time; the
indexes on ``alerts (raised_at, id)`` and ``tasks (due_at, id)`` let a page be
read in that order instead of sorting every row of the table.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CHUNK = 5_000


def _rows(alert_id: int, recipients: object) -> list[dict[str, object]]:
    # the same rule as models.recipient_rows (a migration does not import the models)
    seen: dict[tuple[str, str], None] = {}
    for r in recipients if isinstance(recipients, list) else ():
        if not isinstance(r, dict):
            continue
        kind, code = r.get("kind"), r.get("code")
        if isinstance(kind, str) and isinstance(code, str) and kind and code:
            seen[(kind[:16], code[:64])] = None
    return [{"alert_id": alert_id, "kind": k, "code": c} for k, c in seen]


def upgrade() -> None:
    """Upgrade schema."""
    table = op.create_table(
        "alert_recipients",
        sa.Column("alert_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"],
            ["alerts.id"],
            name=op.f("fk_alert_recipients_alert_id_alerts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("alert_id", "kind", "code", name=op.f("pk_alert_recipients")),
    )
    op.create_index(
        "ix_alert_recipients_kind_code",
        "alert_recipients",
        ["kind", "code", "alert_id"],
        unique=False,
    )
    op.create_index("ix_alerts_raised_at_id", "alerts", ["raised_at", "id"], unique=False)
    op.create_index("ix_tasks_due_at_id", "tasks", ["due_at", "id"], unique=False)
    alerts = sa.table("alerts", sa.column("id", sa.Integer()), sa.column("recipients", sa.JSON()))
    bind = op.get_bind()
    rows: list[dict[str, object]] = []
    for alert_id, recipients in bind.execute(
        sa.select(alerts.c.id, alerts.c.recipients).order_by(alerts.c.id)
    ):
        rows.extend(_rows(int(alert_id), recipients))
        if len(rows) >= _CHUNK:
            bind.execute(table.insert(), rows)
            rows = []
    if rows:
        bind.execute(table.insert(), rows)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_tasks_due_at_id", table_name="tasks")
    op.drop_index("ix_alerts_raised_at_id", table_name="alerts")
    op.drop_index("ix_alert_recipients_kind_code", table_name="alert_recipients")
    op.drop_table("alert_recipients")
