"""quarantine: assignment runs, stays (the roster), daily tests, transfer batches and stops

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 10:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "quarantine_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("persons", sa.Integer(), nullable=False),
        sa.Column("assigned", sa.Integer(), nullable=False),
        sa.Column("total_cost", sa.Float(), nullable=False),
        sa.Column("bound", sa.Float(), nullable=False),
        sa.Column("gap", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("options", sa.Text(), nullable=False),
        sa.Column("unassigned", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "assigned >= 0 AND assigned <= persons", name=op.f("ck_quarantine_runs_counts")
        ),
        sa.CheckConstraint("gap >= 0", name=op.f("ck_quarantine_runs_gap")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantine_runs")),
    )
    op.create_table(
        "transfer_batches",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("vehicle", sa.Integer(), nullable=False),
        sa.Column("trip", sa.Integer(), nullable=False),
        sa.Column("depart_at", sa.DateTime(), nullable=False),
        sa.Column("arrive_at", sa.DateTime(), nullable=False),
        sa.Column("deadline_at", sa.DateTime(), nullable=False),
        sa.Column("persons", sa.Integer(), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("on_time", sa.Boolean(), nullable=False),
        sa.CheckConstraint("arrive_at >= depart_at", name=op.f("ck_transfer_batches_times")),
        sa.CheckConstraint(
            "persons >= 1 AND persons <= seats", name=op.f("ck_transfer_batches_persons")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["facilities.id"], name=op.f("fk_transfer_batches_site_id_facilities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_batches")),
    )
    with op.batch_alter_table("transfer_batches", schema=None) as batch_op:
        batch_op.create_index("ix_transfer_batches_site_id", ["site_id"], unique=False)

    op.create_table(
        "transfer_stops",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.SmallInteger(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("persons", sa.Integer(), nullable=False),
        sa.Column("pickup_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("persons >= 1", name=op.f("ck_transfer_stops_persons")),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["transfer_batches.id"],
            name=op.f("fk_transfer_stops_batch_id_transfer_batches"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_transfer_stops")),
        sa.UniqueConstraint("batch_id", "seq", name=op.f("uq_transfer_stops_batch_id")),
    )
    op.create_table(
        "quarantine_stays",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("rooms", sa.SmallInteger(), nullable=False),
        sa.Column("accessible_room", sa.Boolean(), nullable=False),
        sa.Column("needs_accessible", sa.Boolean(), nullable=False),
        sa.Column("distance_km", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assigned_at", sa.DateTime(), nullable=False),
        sa.Column("deadline_at", sa.DateTime(), nullable=False),
        sa.Column("admitted_at", sa.DateTime(), nullable=True),
        sa.Column("release_due_at", sa.DateTime(), nullable=False),
        sa.Column("released_at", sa.DateTime(), nullable=True),
        sa.Column("stop_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status <> 'released' OR released_at IS NOT NULL",
            name=op.f("ck_quarantine_stays_released"),
        ),
        sa.CheckConstraint(
            "status = 'assigned' OR admitted_at IS NOT NULL",
            name=op.f("ck_quarantine_stays_admitted"),
        ),
        sa.CheckConstraint(
            "status IN ('assigned', 'admitted', 'released')",
            name=op.f("ck_quarantine_stays_status"),
        ),
        sa.CheckConstraint("rooms >= 0", name=op.f("ck_quarantine_stays_rooms")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_quarantine_stays_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_quarantine_stays_person_id_persons")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["quarantine_runs.id"],
            name=op.f("fk_quarantine_stays_run_id_quarantine_runs"),
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["facilities.id"], name=op.f("fk_quarantine_stays_site_id_facilities")
        ),
        sa.ForeignKeyConstraint(
            ["stop_id"],
            ["transfer_stops.id"],
            name=op.f("fk_quarantine_stays_stop_id_transfer_stops"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantine_stays")),
    )
    with op.batch_alter_table("quarantine_stays", schema=None) as batch_op:
        batch_op.create_index("ix_quarantine_stays_person_id", ["person_id"], unique=False)
        batch_op.create_index("ix_quarantine_stays_site_id", ["site_id"], unique=False)
        batch_op.create_index("ix_quarantine_stays_status", ["status"], unique=False)

    op.create_table(
        "quarantine_tests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("stay_id", sa.Integer(), nullable=False),
        sa.Column("tested_on", sa.Date(), nullable=False),
        sa.Column("result", sa.String(length=16), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "result IN ('negative', 'positive', 'invalid')", name=op.f("ck_quarantine_tests_result")
        ),
        sa.ForeignKeyConstraint(
            ["stay_id"],
            ["quarantine_stays.id"],
            name=op.f("fk_quarantine_tests_stay_id_quarantine_stays"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantine_tests")),
        sa.UniqueConstraint("stay_id", "tested_on", name=op.f("uq_quarantine_tests_stay_id")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("quarantine_tests")
    with op.batch_alter_table("quarantine_stays", schema=None) as batch_op:
        batch_op.drop_index("ix_quarantine_stays_status")
        batch_op.drop_index("ix_quarantine_stays_site_id")
        batch_op.drop_index("ix_quarantine_stays_person_id")

    op.drop_table("quarantine_stays")
    op.drop_table("transfer_stops")
    with op.batch_alter_table("transfer_batches", schema=None) as batch_op:
        batch_op.drop_index("ix_transfer_batches_site_id")

    op.drop_table("transfer_batches")
    op.drop_table("quarantine_runs")
