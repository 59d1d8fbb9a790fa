"""Returns: a deadline for agencies' returns, sign-off by a senior officer, reminders about returns

Revision ID: 0008_returns
Revises: 0007_moderation_basis
Create Date: 2026-12-06 10:00:00

An audit gains the date its returns are due (none for existing audits); an agency's participation
gains who signed its return off and when (nobody yet); reminders sent about returns are recorded, so
that the board's "send a reminder" can be limited to one an agency a day. Nothing existing changes.
"""
import sqlalchemy as sa
from alembic import op

revision = '0008_returns'
down_revision = '0007_moderation_basis'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audits', schema=None) as batch_op:
        batch_op.add_column(sa.Column('return_due_on', sa.Date(), nullable=True))
    with op.batch_alter_table('audit_agencies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('signed_off_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('signed_off_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_audit_agencies_signed_off_by_id_users'), 'users',
                                    ['signed_off_by_id'], ['id'], ondelete='SET NULL')
    op.create_table(
        'audit_return_reminders',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('audit_id', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=False),
        sa.Column('sent_by_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(['audit_id'], ['audits.id'], name=op.f('fk_audit_return_reminders_audit_id_audits'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'],
                                name=op.f('fk_audit_return_reminders_agency_id_agencies'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['sent_by_id'], ['users.id'], name=op.f('fk_audit_return_reminders_sent_by_id_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_return_reminders')),
    )
    with op.batch_alter_table('audit_return_reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_return_reminders_agency_id'), ['agency_id'], unique=False)
        batch_op.create_index('ix_audit_return_reminders_agency', ['audit_id', 'agency_id', 'sent_at'], unique=False)


def downgrade():
    op.drop_table('audit_return_reminders')
    with op.batch_alter_table('audit_agencies', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_audit_agencies_signed_off_by_id_users'), type_='foreignkey')
        batch_op.drop_column('signed_off_by_id')
        batch_op.drop_column('signed_off_at')
    with op.batch_alter_table('audits', schema=None) as batch_op:
        batch_op.drop_column('return_due_on')
