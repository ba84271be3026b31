"""Taxonomy of practice, seeded, and the skills and interests on profiles

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 08:00:00

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

# The taxonomy as first seeded (frozen here: later changes get migrations of their own).
SEED_TOPICS = (
    ('introduction-to-social-media', 'Introduction to social media', 'practice'),
    ('broadcast', 'Broadcast', 'practice'),
    ('consultation', 'Consultation', 'practice'),
    ('co-development-and-crowdsourcing', 'Co-development and crowdsourcing', 'practice'),
    ('customer-service-online', 'Customer service online', 'practice'),
    ('online-community-development', 'Online community development', 'practice'),
    ('professional-and-personal-use-social-media-policy', 'Professional and personal use, social media policy', 'practice'),
    ('building-a-public-narrative', 'Building a public narrative', 'practice'),
    ('dealing-with-online-conflict-and-trolls', 'Dealing with online conflict and trolls', 'practice'),
    ('iterative-policy-measurement-and-evaluation', 'Iterative policy, measurement and evaluation', 'practice'),
    ('monitoring-social-media', 'Monitoring social media', 'practice'),
    ('analysis-tools-and-data', 'Analysis tools and data', 'practice'),
    ('mapping-goals-to-tools', 'Mapping goals to tools', 'practice'),
    ('managing-staff-online', 'Managing staff online', 'practice'),
    ('engagement-strategy', 'Engagement strategy', 'practice'),
    ('apps-and-mobile', 'Apps and mobile', 'practice'),
    ('blogging-and-wordpress', 'Blogging and WordPress', 'practice'),
    ('video', 'Video', 'practice'),
    ('accessible-content', 'Accessible content', 'practice'),
    ('open-data-and-public-sector-information', 'Open data and public sector information', 'practice'),
    ('crisis-and-emergency-communications', 'Crisis and emergency communications', 'practice'),
    ('x-twitter', 'X/Twitter', 'channel'),
    ('facebook', 'Facebook', 'channel'),
    ('linkedin', 'LinkedIn', 'channel'),
    ('youtube', 'YouTube', 'channel'),
    ('instagram', 'Instagram', 'channel'),
    ('mastodon', 'Mastodon', 'channel'),
    ('whatsapp', 'WhatsApp', 'channel'),
)


def upgrade():
    op.create_table('topics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('group', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_topics')),
    sa.UniqueConstraint('name', name=op.f('uq_topics_name')),
    sa.UniqueConstraint('slug', name=op.f('uq_topics_slug'))
    )

    op.create_table('user_interests',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_user_interests_topic_id_topics'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_interests_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'topic_id', name=op.f('pk_user_interests'))
    )

    op.create_table('user_skills',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('topic_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['topic_id'], ['topics.id'], name=op.f('fk_user_skills_topic_id_topics'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_skills_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'topic_id', name=op.f('pk_user_skills'))
    )

    topics = sa.table(
        'topics',
        sa.column('slug', sa.String),
        sa.column('name', sa.String),
        sa.column('group', sa.String),
        sa.column('created_at', sa.DateTime(timezone=True)),
    )
    now = datetime.now(timezone.utc)
    op.bulk_insert(topics, [
        {'slug': slug, 'name': name, 'group': group, 'created_at': now} for slug, name, group in SEED_TOPICS
    ])


def downgrade():
    op.drop_table('user_skills')
    op.drop_table('user_interests')
    op.drop_table('topics')
