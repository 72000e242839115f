"""zones: three-zone units, their source cases, the change history, evaluated days

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 10:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "zones",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("unit_level", sa.String(length=16), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("level_day", sa.Date(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("lifted_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "unit_level IN ('building', 'compound', 'community')", name=op.f("ck_zones_unit_level")
        ),
        sa.CheckConstraint(
            "level IN ('lockdown', 'control', 'prevention')", name=op.f("ck_zones_level")
        ),
        sa.CheckConstraint("status IN ('active', 'lifted')", name=op.f("ck_zones_status")),
        sa.CheckConstraint(
            "(status = 'active' AND lifted_at IS NULL) OR (status = 'lifted' AND lifted_at IS NOT NULL)",
            name=op.f("ck_zones_lifted"),
        ),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_zones_area_id_areas")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zones")),
    )
    with op.batch_alter_table("zones", schema=None) as batch_op:
        batch_op.create_index("ix_zones_area_id", ["area_id"], unique=False)
        batch_op.create_index("ix_zones_status", ["status"], unique=False)

    op.create_table(
        "zone_sources",
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "reason IN ('home', 'stayed', 'adjacent', 'visited', 'street')",
            name=op.f("ck_zone_sources_reason"),
        ),
        sa.CheckConstraint("minutes >= 0", name=op.f("ck_zone_sources_minutes")),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_zone_sources_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zones.id"], name=op.f("fk_zone_sources_zone_id_zones")
        ),
        sa.PrimaryKeyConstraint("zone_id", "case_id", name=op.f("pk_zone_sources")),
    )
    with op.batch_alter_table("zone_sources", schema=None) as batch_op:
        batch_op.create_index("ix_zone_sources_case_id", ["case_id"], unique=False)

    op.create_table(
        "zone_history",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("zone_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("from_level", sa.String(length=16), nullable=True),
        sa.Column("to_level", sa.String(length=16), nullable=False),
        sa.Column("rule_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "from_level IS NULL OR from_level IN ('lockdown', 'control', 'prevention')",
            name=op.f("ck_zone_history_from_level"),
        ),
        sa.CheckConstraint(
            "to_level IN ('lockdown', 'control', 'prevention', 'lifted')",
            name=op.f("ck_zone_history_to_level"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_zone_history_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["zone_id"], ["zones.id"], name=op.f("fk_zone_history_zone_id_zones")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zone_history")),
    )
    with op.batch_alter_table("zone_history", schema=None) as batch_op:
        batch_op.create_index("ix_zone_history_zone_id", ["zone_id"], unique=False)

    op.create_table(
        "zone_evaluations",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("evaluated_at", sa.DateTime(), nullable=False),
        sa.Column("rules_source", sa.String(length=200), nullable=False),
        sa.Column("rules_sha256", sa.String(length=64), nullable=False),
        sa.Column("city_cases", sa.Integer(), nullable=False),
        sa.Column("transitions", sa.Integer(), nullable=False),
        sa.Column("delineated", sa.Integer(), nullable=False),
        sa.Column("surge", sa.Boolean(), nullable=False),
        sa.Column("frozen", sa.Boolean(), nullable=False),
        sa.CheckConstraint(
            "city_cases >= 0 AND transitions >= 0", name=op.f("ck_zone_evaluations_counts")
        ),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_zone_evaluations")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("zone_evaluations")
    with op.batch_alter_table("zone_history", schema=None) as batch_op:
        batch_op.drop_index("ix_zone_history_zone_id")

    op.drop_table("zone_history")
    with op.batch_alter_table("zone_sources", schema=None) as batch_op:
        batch_op.drop_index("ix_zone_sources_case_id")

    op.drop_table("zone_sources")
    with op.batch_alter_table("zones", schema=None) as batch_op:
        batch_op.drop_index("ix_zones_status")
        batch_op.drop_index("ix_zones_area_id")

    op.drop_table("zones")
