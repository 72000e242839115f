"""resources: stock balances, the stock ledger, the staff table

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 10:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "stock_levels",
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=32), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("quantity >= 0", name=op.f("ck_stock_levels_quantity")),
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name=op.f("fk_stock_levels_area_id_areas")
        ),
        sa.PrimaryKeyConstraint("area_id", "item", name=op.f("pk_stock_levels")),
    )
    op.create_table(
        "stock_movements",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("balance", sa.Float(), nullable=False),
        sa.Column("moved_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("reference", sa.String(length=100), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.CheckConstraint("kind IN ('receipt', 'issue')", name=op.f("ck_stock_movements_kind")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_stock_movements_quantity")),
        sa.CheckConstraint("balance >= 0", name=op.f("ck_stock_movements_balance")),
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name=op.f("fk_stock_movements_area_id_areas")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_movements")),
        sa.UniqueConstraint("reference", name=op.f("uq_stock_movements_reference")),
    )
    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.create_index("ix_stock_movements_area_item", ["area_id", "item"], unique=False)

    op.create_table(
        "staff_roster",
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "role IN ('tracer', 'sampler', 'lab', 'community_worker', 'quarantine_staff', "
            "'ambulance', 'ambulance_np')",
            name=op.f("ck_staff_roster_role"),
        ),
        sa.CheckConstraint("count >= 0", name=op.f("ck_staff_roster_count")),
        sa.ForeignKeyConstraint(
            ["district_id"], ["areas.id"], name=op.f("fk_staff_roster_district_id_areas")
        ),
        sa.PrimaryKeyConstraint("district_id", "role", name=op.f("pk_staff_roster")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("staff_roster")
    with op.batch_alter_table("stock_movements", schema=None) as batch_op:
        batch_op.drop_index("ix_stock_movements_area_item")

    op.drop_table("stock_movements")
    op.drop_table("stock_levels")
