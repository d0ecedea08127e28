"""trainings

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 00:00:00

Courses per direction (the direction's code, no foreign key), their sessions, enrolments with a
waitlist, and attendance per training day.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "training_courses",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("direction", sa.String(length=64), nullable=False),
        sa.Column("name_az", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("name_ru", sa.Text(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("hours", sa.Integer(), nullable=False),
        sa.Column("completion_threshold", sa.Numeric(precision=3, scale=2), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "completion_threshold > 0 AND completion_threshold <= 1",
            name=op.f("ck_training_courses_threshold_share"),
        ),
        sa.CheckConstraint(
            "days > 0 AND hours > 0", name=op.f("ck_training_courses_duration_positive")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_courses")),
    )
    op.create_index(
        op.f("ix_training_courses_direction"), "training_courses", ["direction"], unique=False
    )
    op.create_table(
        "training_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("days", sa.ARRAY(sa.Date()), nullable=False),
        sa.Column("place", sa.Text(), nullable=False),
        sa.Column("trainer", sa.Text(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("run_by_partner_id", sa.Uuid(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("capacity > 0", name=op.f("ck_training_sessions_capacity_positive")),
        sa.CheckConstraint("ends_on >= starts_on", name=op.f("ck_training_sessions_period_order")),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["training_courses.id"],
            name=op.f("fk_training_sessions_course_id_training_courses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_sessions")),
    )
    op.create_index(
        op.f("ix_training_sessions_course_id"), "training_sessions", ["course_id"], unique=False
    )
    op.create_index(
        op.f("ix_training_sessions_run_by_partner_id"),
        "training_sessions",
        ["run_by_partner_id"],
        unique=False,
    )
    op.create_index(
        "ix_training_sessions_starts_on_id", "training_sessions", ["starts_on", "id"], unique=False
    )
    op.create_table(
        "training_attendance",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("present", sa.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["training_sessions.id"],
            name=op.f("fk_training_attendance_session_id_training_sessions"),
        ),
        sa.PrimaryKeyConstraint("session_id", "day", name=op.f("pk_training_attendance")),
    )
    op.create_table(
        "training_enrolments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("participant_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("waitlist_position", sa.Integer(), nullable=True),
        sa.Column("attended_days", sa.Integer(), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_training_enrolments_participant_id_participants"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["training_sessions.id"],
            name=op.f("fk_training_enrolments_session_id_training_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_enrolments")),
        sa.UniqueConstraint(
            "session_id", "participant_id", name=op.f("uq_training_enrolments_session_id")
        ),
    )
    op.create_index(
        op.f("ix_training_enrolments_participant_id"),
        "training_enrolments",
        ["participant_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_training_enrolments_participant_id"), table_name="training_enrolments")
    op.drop_table("training_enrolments")
    op.drop_table("training_attendance")
    op.drop_index("ix_training_sessions_starts_on_id", table_name="training_sessions")
    op.drop_index(op.f("ix_training_sessions_run_by_partner_id"), table_name="training_sessions")
    op.drop_index(op.f("ix_training_sessions_course_id"), table_name="training_sessions")
    op.drop_table("training_sessions")
    op.drop_index(op.f("ix_training_courses_direction"), table_name="training_courses")
    op.drop_table("training_courses")
