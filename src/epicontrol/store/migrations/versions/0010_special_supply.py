"""special-population ledger and supply distribution plans

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 10:00:00.000000

Tables of the red/yellow/green ledger (special_persons, special_helpers,
special_requests, special_escalations, special_audit) and of the three-tier
supply network (supply_nodes, supply_plans, supply_plan_legs,
supply_plan_points, supply_plan_unserved).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "special_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("entity", sa.String(length=16), nullable=False),
        sa.Column("entity_id", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=24), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_special_audit")),
    )
    op.create_index(
        "ix_special_audit_entity", "special_audit", ["entity", "entity_id"], unique=False
    )
    op.create_table(
        "supply_plans",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("zone_source", sa.String(length=16), nullable=False),
        sa.Column("households_lockdown", sa.Integer(), nullable=False),
        sa.Column("served_lockdown", sa.Integer(), nullable=False),
        sa.Column("households_control", sa.Integer(), nullable=False),
        sa.Column("served_control", sa.Integer(), nullable=False),
        sa.Column("gap", sa.Float(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("phases", sa.Text(), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "zone_source IN ('zones', 'areas')", name=op.f("ck_supply_plans_zone_source")
        ),
        sa.CheckConstraint(
            "served_lockdown <= households_lockdown AND served_control <= households_control",
            name=op.f("ck_supply_plans_served"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supply_plans")),
        sa.UniqueConstraint("day", name=op.f("uq_supply_plans_day")),
    )
    op.create_table(
        "special_helpers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"], ["areas.id"], name=op.f("fk_special_helpers_community_id_areas")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_special_helpers")),
    )
    op.create_index(
        "ix_special_helpers_community_id", "special_helpers", ["community_id"], unique=False
    )
    op.create_table(
        "supply_nodes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("capacity_kg", sa.Float(), nullable=False),
        sa.Column("vehicles", sa.Integer(), nullable=False),
        sa.Column("vehicle_kg", sa.Float(), nullable=False),
        sa.Column("workers", sa.Integer(), nullable=False),
        sa.Column("doors_per_round", sa.Integer(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "level IN ('city', 'district', 'community')", name=op.f("ck_supply_nodes_level")
        ),
        sa.CheckConstraint(
            "source IN ('default', 'imported')", name=op.f("ck_supply_nodes_source")
        ),
        sa.CheckConstraint(
            "capacity_kg >= 0 AND vehicles >= 0 AND vehicle_kg >= 0 AND workers >= 0 AND doors_per_round >= 0",
            name=op.f("ck_supply_nodes_amounts"),
        ),
        sa.ForeignKeyConstraint(
            ["area_id"], ["areas.id"], name=op.f("fk_supply_nodes_area_id_areas")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supply_nodes")),
        sa.UniqueConstraint("code", name=op.f("uq_supply_nodes_code")),
        sa.UniqueConstraint("level", "area_id", name="uq_supply_nodes_level_area"),
    )
    op.create_index("ix_supply_nodes_area_id", "supply_nodes", ["area_id"], unique=False)
    op.create_table(
        "supply_plan_unserved",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=True),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("zone_class", sa.String(length=16), nullable=False),
        sa.Column("size", sa.SmallInteger(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.CheckConstraint(
            "reason IN ('no_point', 'travel_time', 'delivery_rounds', 'point_capacity', 'hub_capacity', 'vehicle_capacity', 'centre_capacity', 'not_optimal')",
            name=op.f("ck_supply_plan_unserved_reason"),
        ),
        sa.CheckConstraint(
            "zone_class IN ('lockdown', 'control')", name=op.f("ck_supply_plan_unserved_zone_class")
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["supply_plans.id"],
            name=op.f("fk_supply_plan_unserved_plan_id_supply_plans"),
        ),
        sa.PrimaryKeyConstraint("plan_id", "household_id", name=op.f("pk_supply_plan_unserved")),
    )
    op.create_table(
        "supply_plan_legs",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("from_node_id", sa.Integer(), nullable=False),
        sa.Column("to_node_id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.SmallInteger(), nullable=False),
        sa.Column("hours", sa.Float(), nullable=False),
        sa.Column("vehicles", sa.Integer(), nullable=False),
        sa.Column("trips", sa.Integer(), nullable=False),
        sa.Column("kg", sa.Float(), nullable=False),
        sa.CheckConstraint("tier IN (1, 2)", name=op.f("ck_supply_plan_legs_tier")),
        sa.CheckConstraint(
            "vehicles >= 0 AND trips >= 0 AND kg >= 0", name=op.f("ck_supply_plan_legs_amounts")
        ),
        sa.ForeignKeyConstraint(
            ["from_node_id"],
            ["supply_nodes.id"],
            name=op.f("fk_supply_plan_legs_from_node_id_supply_nodes"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["supply_plans.id"], name=op.f("fk_supply_plan_legs_plan_id_supply_plans")
        ),
        sa.ForeignKeyConstraint(
            ["to_node_id"],
            ["supply_nodes.id"],
            name=op.f("fk_supply_plan_legs_to_node_id_supply_nodes"),
        ),
        sa.PrimaryKeyConstraint(
            "plan_id", "from_node_id", "to_node_id", name=op.f("pk_supply_plan_legs")
        ),
    )
    op.create_index(
        "ix_supply_plan_legs_to_node_id", "supply_plan_legs", ["to_node_id"], unique=False
    )
    op.create_table(
        "supply_plan_points",
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("node_id", sa.Integer(), nullable=False),
        sa.Column("households_lockdown", sa.Integer(), nullable=False),
        sa.Column("served_lockdown", sa.Integer(), nullable=False),
        sa.Column("households_control", sa.Integer(), nullable=False),
        sa.Column("served_control", sa.Integer(), nullable=False),
        sa.Column("rounds", sa.Integer(), nullable=False),
        sa.Column("kg", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["node_id"],
            ["supply_nodes.id"],
            name=op.f("fk_supply_plan_points_node_id_supply_nodes"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["supply_plans.id"],
            name=op.f("fk_supply_plan_points_plan_id_supply_plans"),
        ),
        sa.PrimaryKeyConstraint("plan_id", "node_id", name=op.f("pk_supply_plan_points")),
    )
    op.create_table(
        "special_persons",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=8), nullable=False),
        sa.Column("flags", sa.SmallInteger(), nullable=False),
        sa.Column("needs", sa.Text(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("helper_id", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("enrolled_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "source IN ('registry', 'manual')", name=op.f("ck_special_persons_source")
        ),
        sa.CheckConstraint(
            "tier IN ('red', 'yellow', 'green')", name=op.f("ck_special_persons_tier")
        ),
        sa.ForeignKeyConstraint(
            ["community_id"], ["areas.id"], name=op.f("fk_special_persons_community_id_areas")
        ),
        sa.ForeignKeyConstraint(
            ["helper_id"],
            ["special_helpers.id"],
            name=op.f("fk_special_persons_helper_id_special_helpers"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_special_persons_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_special_persons")),
    )
    op.create_index(
        "ix_special_persons_community_id", "special_persons", ["community_id"], unique=False
    )
    op.create_index("ix_special_persons_helper_id", "special_persons", ["helper_id"], unique=False)
    op.create_table(
        "special_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("tier", sa.String(length=8), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("client_key", sa.String(length=64), nullable=True),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("opened_by", sa.String(length=100), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("done_due_at", sa.DateTime(), nullable=True),
        sa.Column("responded_at", sa.DateTime(), nullable=True),
        sa.Column("responded_by", sa.String(length=100), nullable=True),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("done_by", sa.String(length=100), nullable=True),
        sa.Column("escalation_level", sa.SmallInteger(), nullable=False),
        sa.CheckConstraint(
            "(status = 'open' AND responded_at IS NULL AND done_at IS NULL) OR (status = 'responded' AND responded_at IS NOT NULL AND done_at IS NULL) OR (status = 'done' AND responded_at IS NOT NULL AND done_at IS NOT NULL)",
            name=op.f("ck_special_requests_status_times"),
        ),
        sa.CheckConstraint(
            "kind IN ('medicine', 'medical_transport', 'food', 'consultation', 'other')",
            name=op.f("ck_special_requests_kind"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'responded', 'done')", name=op.f("ck_special_requests_status")
        ),
        sa.CheckConstraint(
            "tier IN ('red', 'yellow', 'green')", name=op.f("ck_special_requests_tier")
        ),
        sa.CheckConstraint("due_at >= opened_at", name=op.f("ck_special_requests_due")),
        sa.ForeignKeyConstraint(
            ["community_id"], ["areas.id"], name=op.f("fk_special_requests_community_id_areas")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["special_persons.person_id"],
            name=op.f("fk_special_requests_person_id_special_persons"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_special_requests")),
        sa.UniqueConstraint("client_key", name=op.f("uq_special_requests_client_key")),
    )
    op.create_index(
        "ix_special_requests_community_id", "special_requests", ["community_id"], unique=False
    )
    op.create_index(
        "ix_special_requests_person_id", "special_requests", ["person_id"], unique=False
    )
    op.create_index("ix_special_requests_status", "special_requests", ["status"], unique=False)
    op.create_table(
        "special_escalations",
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("clock", sa.String(length=12), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("overdue_minutes", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "clock IN ('response', 'completion')", name=op.f("ck_special_escalations_clock")
        ),
        sa.CheckConstraint("level >= 1", name=op.f("ck_special_escalations_level")),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["special_requests.id"],
            name=op.f("fk_special_escalations_request_id_special_requests"),
        ),
        sa.PrimaryKeyConstraint(
            "request_id", "clock", "level", name=op.f("pk_special_escalations")
        ),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("special_escalations")
    op.drop_index("ix_special_requests_status", table_name="special_requests")
    op.drop_index("ix_special_requests_person_id", table_name="special_requests")
    op.drop_index("ix_special_requests_community_id", table_name="special_requests")
    op.drop_table("special_requests")
    op.drop_index("ix_special_persons_helper_id", table_name="special_persons")
    op.drop_index("ix_special_persons_community_id", table_name="special_persons")
    op.drop_table("special_persons")
    op.drop_table("supply_plan_points")
    op.drop_index("ix_supply_plan_legs_to_node_id", table_name="supply_plan_legs")
    op.drop_table("supply_plan_legs")
    op.drop_table("supply_plan_unserved")
    op.drop_index("ix_supply_nodes_area_id", table_name="supply_nodes")
    op.drop_table("supply_nodes")
    op.drop_index("ix_special_helpers_community_id", table_name="special_helpers")
    op.drop_table("special_helpers")
    op.drop_table("supply_plans")
    op.drop_index("ix_special_audit_entity", table_name="special_audit")
    op.drop_table("special_audit")
