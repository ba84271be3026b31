"""Case studies: the stories, their service areas (seeded), authors, modes, topics and revisions

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22 15:47:32

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

SERVICE_AREAS = (
    ('waste-and-recycling', 'Waste and recycling'), ('libraries', 'Libraries'), ('planning', 'Planning'),
    ('transport-and-roads', 'Transport and roads'), ('health-and-social-care', 'Health and social care'),
    ('emergency-management', 'Emergency management'), ('education', 'Education'), ('parks-and-leisure', 'Parks and leisure'),
    ('tourism-and-events', 'Tourism and events'), ('elections', 'Elections'), ('customer-service', 'Customer service'),
    ('internal-communications', 'Internal communications'), ('economic-development', 'Economic development'),
)


def upgrade():
    op.create_table('service_areas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_areas')),
    sa.UniqueConstraint('name', name=op.f('uq_service_areas_name')),
    sa.UniqueConstraint('slug', name=op.f('uq_service_areas_slug'))
    )
    # The service areas every site starts with, as cop.casestudies.models.DEFAULT_SERVICE_AREAS names them then.
    service_areas = sa.table('service_areas', sa.column('slug', sa.String), sa.column('name', sa.String))
    op.bulk_insert(service_areas, [{'slug': slug, 'name': name} for slug, name in SERVICE_AREAS])
    op.create_table('case_studies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=100), nullable=False),
    sa.Column('title', sa.String(length=150), nullable=False),
    sa.Column('summary', sa.String(length=300), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('service_area_id', sa.Integer(), nullable=True),
    sa.Column('level', sa.String(length=3), nullable=True),
    sa.Column('started_on', sa.Date(), nullable=True),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('challenge', sa.Text(), nullable=False),
    sa.Column('approach', sa.Text(), nullable=False),
    sa.Column('results', sa.Text(), nullable=False),
    sa.Column('lessons', sa.Text(), nullable=False),
    sa.Column('differently', sa.Text(), nullable=False),
    sa.Column('resources', sa.Text(), nullable=False),
    sa.Column('links', sa.JSON(), nullable=False),
    sa.Column('licence', sa.String(length=30), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('review_comment', sa.Text(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("level IN ('101', '202', '303')", name=op.f('ck_case_studies_level_known')),
    sa.CheckConstraint("status IN ('draft', 'in_review', 'returned', 'published', 'archived')", name=op.f('ck_case_studies_status_known')),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_case_studies_agency_id_agencies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_case_studies_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_case_studies_reviewed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['service_area_id'], ['service_areas.id'], name=op.f('fk_case_studies_service_area_id_service_areas'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_studies')),
    sa.UniqueConstraint('slug', name=op.f('uq_case_studies_slug'))
    )
    with op.batch_alter_table('case_studies', schema=None) as batch_op:
        batch_op.create_index('ix_case_studies_agency_status', ['agency_id', 'status'], unique=False)
        batch_op.create_index('ix_case_studies_published_newest', ['published_at', 'id'], unique=False, sqlite_where=sa.text("status = 'published'"), postgresql_where=sa.text("status = 'published'"))
        batch_op.create_index(batch_op.f('ix_case_studies_service_area_id'), ['service_area_id'], unique=False)

    op.create_table('case_study_authors',
    sa.Column('case_study_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_study_id'], ['case_studies.id'], name=op.f('fk_case_study_authors_case_study_id_case_studies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_case_study_authors_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_study_id', 'user_id', name=op.f('pk_case_study_authors'))
    )
    with op.batch_alter_table('case_study_authors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_study_authors_user_id'), ['user_id'], unique=False)

    op.create_table('case_study_modes',
    sa.Column('case_study_id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.String(length=30), nullable=False),
    sa.ForeignKeyConstraint(['case_study_id'], ['case_studies.id'], name=op.f('fk_case_study_modes_case_study_id_case_studies'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_study_id', 'mode', name=op.f('pk_case_study_modes'))
    )
    with op.batch_alter_table('case_study_modes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_study_modes_mode'), ['mode'], unique=False)

    op.create_table('case_study_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_study_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('editor_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_study_id'], ['case_studies.id'], name=op.f('fk_case_study_revisions_case_study_id_case_studies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['editor_id'], ['users.id'], name=op.f('fk_case_study_revisions_editor_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_study_revisions')),
    sa.UniqueConstraint('case_study_id', 'number', name='uq_case_study_revisions_number')
    )
    op.create_table('case_study_topics',
    sa.Column('case_study_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_study_id'], ['case_studies.id'], name=op.f('fk_case_study_topics_case_study_id_case_studies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_case_study_topics_topic_id_topics'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_study_id', 'topic_id', name=op.f('pk_case_study_topics'))
    )
    with op.batch_alter_table('case_study_topics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_study_topics_topic_id'), ['topic_id'], unique=False)



def downgrade():
    # What the search index holds of case studies goes with them.
    op.execute("DELETE FROM search_entries WHERE kind = 'case_study'")
    with op.batch_alter_table('case_study_topics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_study_topics_topic_id'))

    op.drop_table('case_study_topics')
    op.drop_table('case_study_revisions')
    with op.batch_alter_table('case_study_modes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_study_modes_mode'))

    op.drop_table('case_study_modes')
    with op.batch_alter_table('case_study_authors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_study_authors_user_id'))

    op.drop_table('case_study_authors')
    with op.batch_alter_table('case_studies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_studies_service_area_id'))
        batch_op.drop_index('ix_case_studies_published_newest', sqlite_where=sa.text("status = 'published'"), postgresql_where=sa.text("status = 'published'"))
        batch_op.drop_index('ix_case_studies_agency_status')

    op.drop_table('case_studies')
    op.drop_table('service_areas')
