"""A profile's level is optional until given; topics can be retired

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 13:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('level', existing_type=sa.String(length=3), nullable=True)
    with op.batch_alter_table('topics', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('topics', schema=None) as batch_op:
        batch_op.drop_column('retired_at')
    # Before levels were optional, everyone had one, 101 by default.
    op.execute("UPDATE users SET level = '101' WHERE level IS NULL")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('level', existing_type=sa.String(length=3), nullable=False)
