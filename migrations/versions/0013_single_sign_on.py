"""Single sign-on (OpenID Connect): sign-in providers, accounts linked to a provider's user, an
invitation's explicit accepted state, accounts that sign in through a provider only

Revision ID: 0013_single_sign_on
Revises: 0012_token_expiry
Create Date: 2026-12-08 10:00:00

``users`` gains ``activated_at`` (when the invitation was accepted: until now this was read from a
password hash being there, which a password-less account signing in through a provider breaks) and
``sso_only``. Existing users with a password hash have accepted their invitation: ``activated_at`` is
their last sign-in or, if they never signed in, when the account was made. Two new tables:
``sign_in_providers`` (the client secret encrypted) and ``user_identities`` (unique on issuer and subject).
"""
import sqlalchemy as sa
from alembic import op

revision = '0013_single_sign_on'
down_revision = '0012_token_expiry'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('activated_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('sso_only', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute("UPDATE users SET activated_at = COALESCE(last_login_at, created_at) WHERE password_hash IS NOT NULL")
    op.create_table(
        'sign_in_providers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('slug', sa.String(length=40), nullable=False),
        sa.Column('label', sa.String(length=100), nullable=False),
        sa.Column('issuer', sa.String(length=500), nullable=False),
        sa.Column('client_id', sa.String(length=255), nullable=False),
        sa.Column('client_secret', sa.String(length=1000), nullable=False),
        sa.Column('allowed_domains', sa.String(length=1000), nullable=False),
        sa.Column('is_entra', sa.Boolean(), nullable=False),
        sa.Column('enforces_second_factor', sa.Boolean(), nullable=False),
        sa.Column('mfa_acr_values', sa.String(length=500), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_sign_in_providers')),
        sa.UniqueConstraint('slug', name=op.f('uq_sign_in_providers_slug')),
    )
    op.create_table(
        'user_identities',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('provider_slug', sa.String(length=40), nullable=False),
        sa.Column('issuer', sa.String(length=500), nullable=False),
        sa.Column('subject', sa.String(length=255), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_used_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_identities_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_user_identities')),
        sa.UniqueConstraint('issuer', 'subject', name=op.f('uq_user_identities_issuer_subject')),
    )
    with op.batch_alter_table('user_identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_identities_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('user_identities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_identities_user_id'))
    op.drop_table('user_identities')
    op.drop_table('sign_in_providers')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('sso_only')
        batch_op.drop_column('activated_at')
