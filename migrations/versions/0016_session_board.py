"""Session boards of BarCamps and unconferences: rooms, times, pitched sessions and interest

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-22 19:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('board_rooms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.CheckConstraint('capacity > 0', name=op.f('ck_board_rooms_capacity_positive')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_board_rooms_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_board_rooms'))
    )
    with op.batch_alter_table('board_rooms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_board_rooms_event_id'), ['event_id'], unique=False)

    op.create_table('board_slots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_board_slots_ends_after_start')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_board_slots_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_board_slots'))
    )
    with op.batch_alter_table('board_slots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_board_slots_event_id'), ['event_id'], unique=False)

    op.create_table('board_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=150), nullable=False),
    sa.Column('summary', sa.String(length=1000), nullable=False),
    sa.Column('host_id', sa.Integer(), nullable=True),
    sa.Column('room_id', sa.Integer(), nullable=True),
    sa.Column('slot_id', sa.Integer(), nullable=True),
    sa.Column('pinned', sa.Boolean(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_board_sessions_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['host_id'], ['users.id'], name=op.f('fk_board_sessions_host_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['room_id'], ['board_rooms.id'], name=op.f('fk_board_sessions_room_id_board_rooms'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['slot_id'], ['board_slots.id'], name=op.f('fk_board_sessions_slot_id_board_slots'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_board_sessions')),
    sa.UniqueConstraint('room_id', 'slot_id', name='uq_board_sessions_room_slot')
    )
    with op.batch_alter_table('board_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_board_sessions_event_id'), ['event_id'], unique=False)

    op.create_table('board_session_interest',
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['board_sessions.id'], name=op.f('fk_board_session_interest_session_id_board_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_board_session_interest_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('session_id', 'user_id', name=op.f('pk_board_session_interest'))
    )
    with op.batch_alter_table('board_session_interest', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_board_session_interest_user_id'), ['user_id'], unique=False)


def downgrade():
    op.drop_table('board_session_interest')
    op.drop_table('board_sessions')
    op.drop_table('board_slots')
    op.drop_table('board_rooms')
