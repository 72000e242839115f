"""tracing: cases, investigations, contacts, assistance lists

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-22 10:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("onset_at", sa.DateTime(), nullable=True),
        sa.Column("sample_at", sa.DateTime(), nullable=True),
        sa.Column("isolated_at", sa.DateTime(), nullable=True),
        sa.Column("reported_at", sa.DateTime(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "status IN ('confirmed', 'suspected', 'asymptomatic')", name=op.f("ck_cases_status")
        ),
        sa.CheckConstraint(
            "status = 'asymptomatic' OR onset_at IS NOT NULL", name=op.f("ck_cases_onset")
        ),
        sa.CheckConstraint(
            "status <> 'asymptomatic' OR sample_at IS NOT NULL", name=op.f("ck_cases_sample")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_cases_person_id_persons")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("person_id", name=op.f("uq_cases_person_id")),
    )
    op.create_table(
        "investigations",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("completed_at", sa.DateTime(), nullable=False),
        sa.Column("superseded_at", sa.DateTime(), nullable=True),
        sa.Column("window_start_at", sa.DateTime(), nullable=False),
        sa.Column("window_end_at", sa.DateTime(), nullable=False),
        sa.Column("rules", sa.Text(), nullable=False),
        sa.Column("risk_venues", sa.Text(), nullable=False),
        sa.Column("risk_start_at", sa.DateTime(), nullable=True),
        sa.Column("risk_end_at", sa.DateTime(), nullable=True),
        sa.Column("index_version", sa.String(length=64), nullable=False),
        sa.Column("n_close", sa.Integer(), nullable=False),
        sa.Column("n_secondary", sa.Integer(), nullable=False),
        sa.Column("n_general", sa.Integer(), nullable=False),
        sa.Column("n_yellow_code", sa.Integer(), nullable=False),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "status IN ('current', 'superseded')", name=op.f("ck_investigations_status")
        ),
        sa.CheckConstraint(
            "window_end_at >= window_start_at", name=op.f("ck_investigations_window")
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_investigations_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_investigations")),
    )
    with op.batch_alter_table("investigations", schema=None) as batch_op:
        batch_op.create_index("ix_investigations_case_id", ["case_id"], unique=False)

    op.create_table(
        "contacts",
        sa.Column("investigation_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("relation", sa.String(length=16), nullable=False),
        sa.Column("first_exposure_at", sa.DateTime(), nullable=False),
        sa.Column("last_exposure_at", sa.DateTime(), nullable=False),
        sa.Column("overlap_minutes", sa.Integer(), nullable=False),
        sa.Column("venue_id", sa.Integer(), nullable=True),
        sa.Column("via_person_id", sa.Integer(), nullable=True),
        sa.Column("home_community_id", sa.Integer(), nullable=True),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.CheckConstraint(
            "category IN ('close', 'secondary', 'general', 'yellow_code')",
            name=op.f("ck_contacts_category"),
        ),
        sa.CheckConstraint(
            "relation IN ('household', 'meal', 'travel', 'colleague', 'classmate', 'vehicle', 'companion', 'tour', 'worksite', 'toilet', 'venue')",
            name=op.f("ck_contacts_relation"),
        ),
        sa.CheckConstraint(
            "last_exposure_at >= first_exposure_at", name=op.f("ck_contacts_exposure")
        ),
        sa.CheckConstraint("overlap_minutes >= 0", name=op.f("ck_contacts_overlap")),
        sa.ForeignKeyConstraint(
            ["investigation_id"],
            ["investigations.id"],
            name=op.f("fk_contacts_investigation_id_investigations"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["persons.id"], name=op.f("fk_contacts_person_id_persons")
        ),
        sa.PrimaryKeyConstraint(
            "investigation_id", "category", "person_id", name=op.f("pk_contacts")
        ),
    )
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index("ix_contacts_home_community_id", ["home_community_id"], unique=False)
        batch_op.create_index("ix_contacts_person_id", ["person_id"], unique=False)

    op.create_table(
        "assist_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("counterpart", sa.String(length=64), nullable=False),
        sa.Column("file", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "direction IN ('outgoing', 'incoming')", name=op.f("ck_assist_requests_direction")
        ),
        sa.CheckConstraint("row_count >= 0", name=op.f("ck_assist_requests_row_count")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assist_requests")),
    )
    with op.batch_alter_table("assist_requests", schema=None) as batch_op:
        batch_op.create_index("ix_assist_requests_sha256", ["sha256"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("assist_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_assist_requests_sha256")

    op.drop_table("assist_requests")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_contacts_person_id")
        batch_op.drop_index("ix_contacts_home_community_id")

    op.drop_table("contacts")
    with op.batch_alter_table("investigations", schema=None) as batch_op:
        batch_op.drop_index("ix_investigations_case_id")

    op.drop_table("investigations")
    op.drop_table("cases")
