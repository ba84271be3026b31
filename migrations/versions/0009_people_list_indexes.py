"""Indexes for the lists of people: partial indexes over the people who are listed, and skills by topic

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 15:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# The condition cop.accounts.models.listed() writes, as each database spells a boolean.
LISTED = "is_active IS {true} AND email_verified_at IS NOT NULL AND job_title != '' AND level IS NOT NULL"
MENTORING = " AND open_to_mentoring IS {true} AND mentoring_capacity > 0"
INDEXES = (
    ('ix_users_listed_by_name', ['display_name', 'id'], LISTED),
    ('ix_users_listed_by_level', ['level', 'display_name', 'id'], LISTED),
    ('ix_users_listed_newest', ['created_at', 'id'], LISTED),
    ('ix_users_listed_mentors', ['level', 'display_name', 'id'], LISTED + MENTORING),
)


def upgrade():
    for name, columns, where in INDEXES:
        op.create_index(name, 'users', columns, unique=False,
                        sqlite_where=sa.text(where.format(true='1')), postgresql_where=sa.text(where.format(true='true')))
    op.create_index(op.f('ix_user_skills_topic_id'), 'user_skills', ['topic_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_user_skills_topic_id'), table_name='user_skills')
    for name, _columns, _where in reversed(INDEXES):
        op.drop_index(name, table_name='users')
