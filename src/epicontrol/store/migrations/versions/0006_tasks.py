"""tasks: playbook openings per case, deadline tasks, task events

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 22:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "case_playbooks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("playbook", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("trigger_at", sa.DateTime(), nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=False),
        sa.Column("opened_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_playbooks_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_playbooks")),
        sa.UniqueConstraint("case_id", "playbook", name=op.f("uq_case_playbooks_case_id")),
    )
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("department", sa.String(length=16), nullable=False),
        sa.Column("title_zh", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("case_playbook_id", sa.Integer(), nullable=True),
        sa.Column("subject_type", sa.String(length=32), nullable=True),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("dedupe_key", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("triggered_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("completed_by", sa.String(length=100), nullable=True),
        sa.Column("escalation", sa.JSON(), nullable=False),
        sa.Column("escalation_level", sa.SmallInteger(), nullable=False),
        sa.Column("escalated_at", sa.DateTime(), nullable=True),
        sa.Column("depends_on", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "(status = 'cancelled') = (cancelled_at IS NOT NULL)", name=op.f("ck_tasks_cancelled")
        ),
        sa.CheckConstraint(
            "(status = 'done') = (completed_at IS NOT NULL AND evidence IS NOT NULL AND completed_by IS NOT NULL)",
            name=op.f("ck_tasks_done"),
        ),
        sa.CheckConstraint(
            "department IN ('health', 'police', 'transport', 'education', 'commerce', 'civil_affairs', 'community')",
            name=op.f("ck_tasks_department"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'in_progress', 'done', 'cancelled')", name=op.f("ck_tasks_status")
        ),
        sa.CheckConstraint(
            "(subject_type IS NULL) = (subject_id IS NULL)", name=op.f("ck_tasks_subject")
        ),
        sa.CheckConstraint("due_at >= triggered_at", name=op.f("ck_tasks_due")),
        sa.CheckConstraint("escalation_level >= 0", name=op.f("ck_tasks_escalation_level")),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_tasks_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["case_playbook_id"],
            ["case_playbooks.id"],
            name=op.f("fk_tasks_case_playbook_id_case_playbooks"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_tasks_dedupe_key")),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index("ix_tasks_case_id", ["case_id"], unique=False)
        batch_op.create_index("ix_tasks_department_status", ["department", "status"], unique=False)
        batch_op.create_index("ix_tasks_status_due_at", ["status", "due_at"], unique=False)

    op.create_table(
        "task_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("from_status", sa.String(length=16), nullable=True),
        sa.Column("to_status", sa.String(length=16), nullable=False),
        sa.Column("from_level", sa.SmallInteger(), nullable=True),
        sa.Column("to_level", sa.SmallInteger(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "action IN ('create', 'start', 'complete', 'cancel', 'escalate')",
            name=op.f("ck_task_events_action"),
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_task_events_task_id_tasks")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_events")),
    )
    with op.batch_alter_table("task_events", schema=None) as batch_op:
        batch_op.create_index("ix_task_events_task_id", ["task_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("task_events", schema=None) as batch_op:
        batch_op.drop_index("ix_task_events_task_id")

    op.drop_table("task_events")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_status_due_at")
        batch_op.drop_index("ix_tasks_department_status")
        batch_op.drop_index("ix_tasks_case_id")

    op.drop_table("tasks")
    op.drop_table("case_playbooks")
