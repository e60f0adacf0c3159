"""programmes: programmes, cohorts, sessions, participants, bookings, attendance, feedback,
outcomes, workforce links, credentials, feed tokens and notifications

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 07:01:12.231529
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "programmes_participant",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(length=100), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("ukprn", sa.String(length=8), nullable=False),
        sa.Column("sex", sa.String(length=2), nullable=False),
        sa.Column("ethnicity", sa.String(length=4), nullable=False),
        sa.Column("level", sa.String(length=4), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programmes_participant")),
        sa.UniqueConstraint("email", name=op.f("uq_programmes_participant_email")),
        sa.UniqueConstraint("username", name=op.f("uq_programmes_participant_username")),
    )
    with op.batch_alter_table("programmes_participant", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_programmes_participant_ukprn"), ["ukprn"], unique=False)

    op.create_table(
        "programmes_programme",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("audience", sa.String(length=500), nullable=False),
        sa.Column("eligibility", sa.String(length=1000), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("cost_pence", sa.Integer(), nullable=False),
        sa.Column("pillars", sa.JSON(), nullable=False),
        sa.Column("selective", sa.Boolean(), nullable=False),
        sa.Column("min_attendance_pct", sa.Integer(), nullable=False),
        sa.Column("requires_project", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programmes_programme")),
        sa.UniqueConstraint("slug", name=op.f("uq_programmes_programme_slug")),
    )
    op.create_table(
        "programmes_cohort",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes_programme.id"],
            name=op.f("fk_programmes_cohort_programme_id_programmes_programme"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programmes_cohort")),
        sa.UniqueConstraint("programme_id", "name", name=op.f("uq_programmes_cohort_programme_id")),
    )
    with op.batch_alter_table("programmes_cohort", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_programmes_cohort_programme_id"), ["programme_id"], unique=False)

    op.create_table(
        "programmes_feed_token",
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["programmes_participant.id"],
            name=op.f("fk_programmes_feed_token_participant_id_programmes_participant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("participant_id", name=op.f("pk_programmes_feed_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_programmes_feed_token_token_hash")),
    )
    op.create_table(
        "programmes_manager",
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes_programme.id"],
            name=op.f("fk_programmes_manager_programme_id_programmes_programme"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("programme_id", "username", name=op.f("pk_programmes_manager")),
    )
    op.create_table(
        "programmes_workforce_link",
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("ukprn", sa.String(length=8), nullable=False),
        sa.Column("person_id", sa.String(length=64), nullable=False),
        sa.Column("consented_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["programmes_participant.id"],
            name=op.f("fk_programmes_workforce_link_participant_id_programmes_participant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("participant_id", name=op.f("pk_programmes_workforce_link")),
    )
    with op.batch_alter_table("programmes_workforce_link", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_programmes_workforce_link_person_id"), ["person_id"], unique=False
        )

    op.create_table(
        "programmes_booking",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("decision_reason", sa.String(length=2000), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("project_done", sa.Boolean(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["programmes_cohort.id"],
            name=op.f("fk_programmes_booking_cohort_id_programmes_cohort"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["programmes_participant.id"],
            name=op.f("fk_programmes_booking_participant_id_programmes_participant"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programmes_booking")),
        sa.UniqueConstraint("cohort_id", "participant_id", name=op.f("uq_programmes_booking_cohort_id")),
    )
    with op.batch_alter_table("programmes_booking", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_programmes_booking_cohort_id"), ["cohort_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_programmes_booking_participant_id"), ["participant_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_programmes_booking_status"), ["status"], unique=False)

    op.create_table(
        "programmes_session",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("uid", sa.String(length=64), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("location", sa.String(length=300), nullable=False),
        sa.Column("facilitator", sa.String(length=200), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["programmes_cohort.id"],
            name=op.f("fk_programmes_session_cohort_id_programmes_cohort"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programmes_session")),
        sa.UniqueConstraint("uid", name=op.f("uq_programmes_session_uid")),
    )
    with op.batch_alter_table("programmes_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_programmes_session_cohort_id"), ["cohort_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_programmes_session_starts_at"), ["starts_at"], unique=False)

    op.create_table(
        "programmes_attendance",
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["programmes_booking.id"],
            name=op.f("fk_programmes_attendance_booking_id_programmes_booking"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["programmes_session.id"],
            name=op.f("fk_programmes_attendance_session_id_programmes_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("booking_id", "session_id", name=op.f("pk_programmes_attendance")),
    )
    with op.batch_alter_table("programmes_attendance", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_programmes_attendance_session_id"), ["session_id"], unique=False)

    op.create_table(
        "programmes_credential",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("status_index", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.String(length=100), nullable=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["programmes_booking.id"],
            name=op.f("fk_programmes_credential_booking_id_programmes_booking"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programmes_credential")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_programmes_credential_booking_id")),
        sa.UniqueConstraint("status_index", name=op.f("uq_programmes_credential_status_index")),
    )
    op.create_table(
        "programmes_feedback",
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("reaction", sa.Integer(), nullable=False),
        sa.Column("recommend", sa.Boolean(), nullable=False),
        sa.Column("before", sa.Integer(), nullable=False),
        sa.Column("after", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["programmes_booking.id"],
            name=op.f("fk_programmes_feedback_booking_id_programmes_booking"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("booking_id", name=op.f("pk_programmes_feedback")),
    )
    op.create_table(
        "programmes_notification",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["programmes_booking.id"],
            name=op.f("fk_programmes_notification_booking_id_programmes_booking"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programmes_notification")),
        sa.UniqueConstraint("key", name=op.f("uq_programmes_notification_key")),
    )
    with op.batch_alter_table("programmes_notification", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_programmes_notification_booking_id"), ["booking_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_programmes_notification_status"), ["status"], unique=False)

    op.create_table(
        "programmes_outcome",
        sa.Column("booking_id", sa.Integer(), nullable=False),
        sa.Column("months", sa.Integer(), nullable=False),
        sa.Column("promoted", sa.Boolean(), nullable=False),
        sa.Column("role_changed", sa.Boolean(), nullable=False),
        sa.Column("grade_changed", sa.Boolean(), nullable=False),
        sa.Column("registrations", sa.JSON(), nullable=False),
        sa.Column("leadership_role", sa.Boolean(), nullable=False),
        sa.Column("committee_seat", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["programmes_booking.id"],
            name=op.f("fk_programmes_outcome_booking_id_programmes_booking"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("booking_id", "months", name=op.f("pk_programmes_outcome")),
    )


def downgrade() -> None:
    op.drop_table("programmes_outcome")
    with op.batch_alter_table("programmes_notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programmes_notification_status"))
        batch_op.drop_index(batch_op.f("ix_programmes_notification_booking_id"))

    op.drop_table("programmes_notification")
    op.drop_table("programmes_feedback")
    op.drop_table("programmes_credential")
    with op.batch_alter_table("programmes_attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programmes_attendance_session_id"))

    op.drop_table("programmes_attendance")
    with op.batch_alter_table("programmes_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programmes_session_starts_at"))
        batch_op.drop_index(batch_op.f("ix_programmes_session_cohort_id"))

    op.drop_table("programmes_session")
    with op.batch_alter_table("programmes_booking", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programmes_booking_status"))
        batch_op.drop_index(batch_op.f("ix_programmes_booking_participant_id"))
        batch_op.drop_index(batch_op.f("ix_programmes_booking_cohort_id"))

    op.drop_table("programmes_booking")
    with op.batch_alter_table("programmes_workforce_link", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programmes_workforce_link_person_id"))

    op.drop_table("programmes_workforce_link")
    op.drop_table("programmes_manager")
    op.drop_table("programmes_feed_token")
    with op.batch_alter_table("programmes_cohort", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programmes_cohort_programme_id"))

    op.drop_table("programmes_cohort")
    op.drop_table("programmes_programme")
    with op.batch_alter_table("programmes_participant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programmes_participant_ukprn"))

    op.drop_table("programmes_participant")
