"""campaigns: mass-testing campaigns, their sites, pools and pool members

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 10:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scope_key", sa.String(length=64), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("areas", sa.Text(), nullable=False),
        sa.Column("zones", sa.Text(), nullable=True),
        sa.Column("start_at", sa.DateTime(), nullable=False),
        sa.Column("deadline_at", sa.DateTime(), nullable=False),
        sa.Column("finish_at", sa.DateTime(), nullable=True),
        sa.Column("next_round_at", sa.DateTime(), nullable=True),
        sa.Column("pool_size", sa.SmallInteger(), nullable=False),
        sa.Column("residents", sa.Integer(), nullable=False),
        sa.Column("pools", sa.Integer(), nullable=False),
        sa.Column("sites", sa.Integer(), nullable=False),
        sa.Column("feasible", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('planned', 'testing', 'completed')", name=op.f("ck_campaigns_status")
        ),
        sa.CheckConstraint("round >= 1", name=op.f("ck_campaigns_round")),
        sa.CheckConstraint("pool_size >= 1", name=op.f("ck_campaigns_pool_size")),
        sa.CheckConstraint(
            "residents >= 0 AND pools >= 0 AND sites >= 0", name=op.f("ck_campaigns_counts")
        ),
        sa.CheckConstraint("deadline_at >= start_at", name=op.f("ck_campaigns_deadline")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint("scope_key", "round", name="uq_campaigns_scope_round"),
    )
    op.create_table(
        "campaign_sites",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("site_no", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=True),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("residents", sa.Integer(), nullable=False),
        sa.Column("samples_per_hour", sa.Integer(), nullable=False),
        sa.Column("samplers", sa.Integer(), nullable=False),
        sa.Column("on_duty", sa.Text(), nullable=False),
        sa.Column("start_at", sa.DateTime(), nullable=True),
        sa.Column("finish_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("kind IN ('fixed', 'temporary')", name=op.f("ck_campaign_sites_kind")),
        sa.CheckConstraint(
            "(kind = 'fixed' AND facility_id IS NOT NULL) OR "
            "(kind = 'temporary' AND area_id IS NOT NULL)",
            name=op.f("ck_campaign_sites_place"),
        ),
        sa.CheckConstraint(
            "residents >= 0 AND samples_per_hour >= 0 AND samplers >= 0",
            name=op.f("ck_campaign_sites_counts"),
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_campaign_sites_campaign_id_campaigns")
        ),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["facilities.id"],
            name=op.f("fk_campaign_sites_facility_id_facilities"),
        ),
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name=op.f("fk_campaign_sites_area_id_areas")
        ),
        sa.PrimaryKeyConstraint("campaign_id", "site_no", name=op.f("pk_campaign_sites")),
    )
    op.create_table(
        "campaign_pools",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("site_no", sa.Integer(), nullable=False),
        sa.Column("lab_id", sa.Integer(), nullable=True),
        sa.Column("size", sa.SmallInteger(), nullable=False),
        sa.Column("dispatch_at", sa.DateTime(), nullable=True),
        sa.Column("planned_result_at", sa.DateTime(), nullable=True),
        sa.Column("result", sa.String(length=8), nullable=True),
        sa.Column("result_at", sa.DateTime(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("size >= 1", name=op.f("ck_campaign_pools_size")),
        sa.CheckConstraint(
            "result IS NULL OR result IN ('negative', 'positive', 'invalid')",
            name=op.f("ck_campaign_pools_result"),
        ),
        sa.CheckConstraint(
            "(result IS NULL) = (result_at IS NULL)", name=op.f("ck_campaign_pools_result_at")
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_campaign_pools_campaign_id_campaigns")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_pools")),
    )
    with op.batch_alter_table("campaign_pools", schema=None) as batch_op:
        batch_op.create_index("ix_campaign_pools_campaign_id", ["campaign_id"], unique=False)

    op.create_table(
        "campaign_members",
        sa.Column("pool_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("retest_result", sa.String(length=8), nullable=True),
        sa.Column("retest_at", sa.DateTime(), nullable=True),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "retest_result IS NULL OR retest_result IN ('negative', 'positive')",
            name=op.f("ck_campaign_members_retest"),
        ),
        sa.CheckConstraint(
            "(retest_result IS NULL) = (retest_at IS NULL)",
            name=op.f("ck_campaign_members_retest_at"),
        ),
        sa.ForeignKeyConstraint(
            ["pool_id"],
            ["campaign_pools.id"],
            name=op.f("fk_campaign_members_pool_id_campaign_pools"),
        ),
        sa.PrimaryKeyConstraint("pool_id", "person_id", name=op.f("pk_campaign_members")),
    )
    with op.batch_alter_table("campaign_members", schema=None) as batch_op:
        batch_op.create_index("ix_campaign_members_campaign_id", ["campaign_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("campaign_members", schema=None) as batch_op:
        batch_op.drop_index("ix_campaign_members_campaign_id")
    op.drop_table("campaign_members")
    with op.batch_alter_table("campaign_pools", schema=None) as batch_op:
        batch_op.drop_index("ix_campaign_pools_campaign_id")
    op.drop_table("campaign_pools")
    op.drop_table("campaign_sites")
    op.drop_table("campaigns")
