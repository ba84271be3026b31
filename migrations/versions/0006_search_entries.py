"""Full-text search: search_entries, with FTS5 on SQLite and a tsvector with a GIN index on PostgreSQL

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 14:00:00

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# Written out here, not imported, so this revision stays as it is when the app's search module changes.
SQLITE_DDL = (
    "CREATE VIRTUAL TABLE search_fts USING fts5(title, body, content='search_entries', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER search_entries_ai AFTER INSERT ON search_entries BEGIN "
    "INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
    "CREATE TRIGGER search_entries_ad AFTER DELETE ON search_entries BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); END",
    "CREATE TRIGGER search_entries_au AFTER UPDATE ON search_entries BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body); "
    "INSERT INTO search_fts(rowid, title, body) VALUES (new.id, new.title, new.body); END",
)


def upgrade():
    op.create_table('search_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('document', postgresql.TSVECTOR().with_variant(sa.Text(), 'sqlite'), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_entries')),
    sa.UniqueConstraint('kind', 'object_id', name='uq_search_entries_kind_object')
    )
    op.create_index('ix_search_entries_document', 'search_entries', ['document'], unique=False, postgresql_using='gin')
    if op.get_bind().dialect.name == 'sqlite':
        for statement in SQLITE_DDL:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        for statement in ("DROP TRIGGER search_entries_au", "DROP TRIGGER search_entries_ad",
                          "DROP TRIGGER search_entries_ai", "DROP TABLE search_fts"):
            op.execute(statement)
    op.drop_index('ix_search_entries_document', table_name='search_entries', postgresql_using='gin')
    op.drop_table('search_entries')
