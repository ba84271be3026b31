"""An index of the mentors who take nobody new just now, read for every page of suggestions

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 06:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

# The condition cop.accounts.models.unavailable_mentor() writes, as each database spells a boolean.
UNAVAILABLE = ("open_to_mentoring IS {true} AND mentoring_capacity > 0 "
               "AND (mentoring_paused IS {true} OR mentees_count >= mentoring_capacity)")


def upgrade():
    op.create_index('ix_users_unavailable_mentors', 'users', ['id'], unique=False,
                    sqlite_where=sa.text(UNAVAILABLE.format(true='1')),
                    postgresql_where=sa.text(UNAVAILABLE.format(true='true')))


def downgrade():
    op.drop_index('ix_users_unavailable_mentors', table_name='users')
