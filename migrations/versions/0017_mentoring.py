"""Mentoring: requests, declines, mentorships, notes, feedback and programmes

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-22 22:49:02

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('matching_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_matching_state'))
    )
    # The one row whose version moves on with every change to a mentor's profile.
    op.execute("INSERT INTO matching_state (id, version) VALUES (1, 0)")
    op.create_table('mentoring_programmes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('stable', sa.Boolean(), nullable=False),
    sa.Column('progress', sa.Integer(), nullable=False),
    sa.Column('progress_note', sa.String(length=200), nullable=False),
    sa.Column('report', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'computing', 'computed', 'published')", name=op.f('ck_mentoring_programmes_status_known')),
    sa.CheckConstraint('progress BETWEEN 0 AND 100', name=op.f('ck_mentoring_programmes_progress_in_range')),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_mentoring_programmes_agency_id_agencies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_mentoring_programmes_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mentoring_programmes'))
    )
    with op.batch_alter_table('mentoring_programmes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mentoring_programmes_agency_id'), ['agency_id'], unique=False)

    op.create_table('mentor_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('newcomer_id', sa.Integer(), nullable=False),
    sa.Column('goals', sa.Text(), nullable=False),
    sa.Column('format', sa.String(length=10), nullable=False),
    sa.Column('agency_preference', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('mentor_id', sa.Integer(), nullable=True),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn_from_id', sa.Integer(), nullable=True),
    sa.Column('case_study_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("agency_preference IN ('either', 'other', 'own')", name=op.f('ck_mentor_requests_agency_preference_known')),
    sa.CheckConstraint("format IN ('either', 'online', 'in_person')", name=op.f('ck_mentor_requests_format_known')),
    sa.CheckConstraint("status IN ('open', 'asked', 'matched', 'withdrawn')", name=op.f('ck_mentor_requests_status_known')),
    sa.ForeignKeyConstraint(['case_study_id'], ['case_studies.id'], name=op.f('fk_mentor_requests_case_study_id_case_studies'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['mentor_id'], ['users.id'], name=op.f('fk_mentor_requests_mentor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['newcomer_id'], ['users.id'], name=op.f('fk_mentor_requests_newcomer_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['withdrawn_from_id'], ['users.id'], name=op.f('fk_mentor_requests_withdrawn_from_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mentor_requests'))
    )
    with op.batch_alter_table('mentor_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mentor_requests_mentor_id'), ['mentor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mentor_requests_newcomer_id'), ['newcomer_id'], unique=False)
        batch_op.create_index('uq_mentor_requests_live', ['newcomer_id'], unique=True, sqlite_where=sa.text("status IN ('open', 'asked')"), postgresql_where=sa.text("status IN ('open', 'asked')"))

    op.create_table('mentoring_programme_matches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('newcomer_id', sa.Integer(), nullable=False),
    sa.Column('mentor_id', sa.Integer(), nullable=True),
    sa.Column('similarity', sa.Float(), nullable=True),
    sa.Column('by_hand', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['mentor_id'], ['users.id'], name=op.f('fk_mentoring_programme_matches_mentor_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['newcomer_id'], ['users.id'], name=op.f('fk_mentoring_programme_matches_newcomer_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['programme_id'], ['mentoring_programmes.id'], name=op.f('fk_mentoring_programme_matches_programme_id_mentoring_programmes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mentoring_programme_matches')),
    sa.UniqueConstraint('programme_id', 'newcomer_id', name='uq_programme_matches_newcomer')
    )
    with op.batch_alter_table('mentoring_programme_matches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mentoring_programme_matches_mentor_id'), ['mentor_id'], unique=False)

    op.create_table('mentoring_programme_members',
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.CheckConstraint("role IN ('newcomer', 'mentor')", name=op.f('ck_mentoring_programme_members_role_known')),
    sa.ForeignKeyConstraint(['programme_id'], ['mentoring_programmes.id'], name=op.f('fk_mentoring_programme_members_programme_id_mentoring_programmes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_mentoring_programme_members_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('programme_id', 'user_id', name=op.f('pk_mentoring_programme_members'))
    )
    with op.batch_alter_table('mentoring_programme_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mentoring_programme_members_user_id'), ['user_id'], unique=False)

    op.create_table('mentor_declines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('newcomer_id', sa.Integer(), nullable=False),
    sa.Column('mentor_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['mentor_id'], ['users.id'], name=op.f('fk_mentor_declines_mentor_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['newcomer_id'], ['users.id'], name=op.f('fk_mentor_declines_newcomer_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_id'], ['mentor_requests.id'], name=op.f('fk_mentor_declines_request_id_mentor_requests'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mentor_declines')),
    sa.UniqueConstraint('newcomer_id', 'mentor_id', name='uq_mentor_declines_pair')
    )
    with op.batch_alter_table('mentor_declines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mentor_declines_mentor_id'), ['mentor_id'], unique=False)

    op.create_table('mentor_request_skills',
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['mentor_requests.id'], name=op.f('fk_mentor_request_skills_request_id_mentor_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_mentor_request_skills_topic_id_topics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('request_id', 'topic_id', name=op.f('pk_mentor_request_skills'))
    )
    with op.batch_alter_table('mentor_request_skills', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mentor_request_skills_topic_id'), ['topic_id'], unique=False)

    op.create_table('mentorships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mentor_id', sa.Integer(), nullable=False),
    sa.Column('newcomer_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=True),
    sa.Column('programme_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('goals', sa.Text(), nullable=False),
    sa.Column('check_in_days', sa.Integer(), nullable=False),
    sa.Column('next_check_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminded_for', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ended_by_id', sa.Integer(), nullable=True),
    sa.Column('end_reason', sa.Text(), nullable=False),
    sa.CheckConstraint("status IN ('active', 'ended')", name=op.f('ck_mentorships_status_known')),
    sa.CheckConstraint('check_in_days >= 0', name=op.f('ck_mentorships_check_in_days_not_negative')),
    sa.CheckConstraint('mentor_id <> newcomer_id', name=op.f('ck_mentorships_not_self')),
    sa.ForeignKeyConstraint(['ended_by_id'], ['users.id'], name=op.f('fk_mentorships_ended_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['mentor_id'], ['users.id'], name=op.f('fk_mentorships_mentor_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['newcomer_id'], ['users.id'], name=op.f('fk_mentorships_newcomer_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['programme_id'], ['mentoring_programmes.id'], name=op.f('fk_mentorships_programme_id_mentoring_programmes'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['mentor_requests.id'], name=op.f('fk_mentorships_request_id_mentor_requests'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mentorships'))
    )
    with op.batch_alter_table('mentorships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mentorships_mentor_id'), ['mentor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mentorships_newcomer_id'), ['newcomer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_mentorships_next_check_in_at'), ['next_check_in_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_mentorships_programme_id'), ['programme_id'], unique=False)
        batch_op.create_index('uq_mentorships_active_pair', ['mentor_id', 'newcomer_id'], unique=True, sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))

    op.create_table('mentorship_feedback',
    sa.Column('mentorship_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('rating BETWEEN 1 AND 5', name=op.f('ck_mentorship_feedback_rating_in_range')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_mentorship_feedback_author_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['mentorship_id'], ['mentorships.id'], name=op.f('fk_mentorship_feedback_mentorship_id_mentorships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('mentorship_id', 'author_id', name=op.f('pk_mentorship_feedback'))
    )
    op.create_table('mentorship_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('mentorship_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_mentorship_notes_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['mentorship_id'], ['mentorships.id'], name=op.f('fk_mentorship_notes_mentorship_id_mentorships'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mentorship_notes'))
    )
    with op.batch_alter_table('mentorship_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mentorship_notes_mentorship_id'), ['mentorship_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mentoring_format', sa.String(length=10), server_default='either', nullable=False))
        batch_op.add_column(sa.Column('mentoring_paused', sa.Boolean(), server_default=sa.false(), nullable=False))
        # Everyone starts unpaused, with no mentees and either format.
        batch_op.add_column(sa.Column('mentees_count', sa.Integer(), server_default='0', nullable=False))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('mentees_count')
        batch_op.drop_column('mentoring_paused')
        batch_op.drop_column('mentoring_format')

    with op.batch_alter_table('mentorship_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mentorship_notes_mentorship_id'))

    op.drop_table('mentorship_notes')
    op.drop_table('mentorship_feedback')
    with op.batch_alter_table('mentorships', schema=None) as batch_op:
        batch_op.drop_index('uq_mentorships_active_pair', sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"))
        batch_op.drop_index(batch_op.f('ix_mentorships_programme_id'))
        batch_op.drop_index(batch_op.f('ix_mentorships_next_check_in_at'))
        batch_op.drop_index(batch_op.f('ix_mentorships_newcomer_id'))
        batch_op.drop_index(batch_op.f('ix_mentorships_mentor_id'))

    op.drop_table('mentorships')
    with op.batch_alter_table('mentor_request_skills', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mentor_request_skills_topic_id'))

    op.drop_table('mentor_request_skills')
    with op.batch_alter_table('mentor_declines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mentor_declines_mentor_id'))

    op.drop_table('mentor_declines')
    with op.batch_alter_table('mentoring_programme_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mentoring_programme_members_user_id'))

    op.drop_table('mentoring_programme_members')
    with op.batch_alter_table('mentoring_programme_matches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mentoring_programme_matches_mentor_id'))

    op.drop_table('mentoring_programme_matches')
    with op.batch_alter_table('mentor_requests', schema=None) as batch_op:
        batch_op.drop_index('uq_mentor_requests_live', sqlite_where=sa.text("status IN ('open', 'asked')"), postgresql_where=sa.text("status IN ('open', 'asked')"))
        batch_op.drop_index(batch_op.f('ix_mentor_requests_newcomer_id'))
        batch_op.drop_index(batch_op.f('ix_mentor_requests_mentor_id'))

    op.drop_table('mentor_requests')
    with op.batch_alter_table('mentoring_programmes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mentoring_programmes_agency_id'))

    op.drop_table('mentoring_programmes')
    op.drop_table('matching_state')
