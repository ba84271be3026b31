"""Indexes for the case study lists filtered by service area and by level

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-22 18:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

PUBLISHED = sa.text("status = 'published'")


def upgrade():
    with op.batch_alter_table('case_studies', schema=None) as batch_op:
        batch_op.create_index('ix_case_studies_published_area', ['service_area_id', 'level', 'published_at'], unique=False,
                              sqlite_where=PUBLISHED, postgresql_where=PUBLISHED)
        batch_op.create_index('ix_case_studies_published_level', ['level', 'published_at'], unique=False,
                              sqlite_where=PUBLISHED, postgresql_where=PUBLISHED)


def downgrade():
    with op.batch_alter_table('case_studies', schema=None) as batch_op:
        batch_op.drop_index('ix_case_studies_published_level', sqlite_where=PUBLISHED, postgresql_where=PUBLISHED)
        batch_op.drop_index('ix_case_studies_published_area', sqlite_where=PUBLISHED, postgresql_where=PUBLISHED)
