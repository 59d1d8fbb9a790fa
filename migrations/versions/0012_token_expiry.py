"""API tokens expire: a token's expiry date and when its owner was reminded of it

Revision ID: 0012_token_expiry
Revises: 0011_two_factor
Create Date: 2026-12-07 10:00:00

``api_tokens`` gains ``expires_at`` (after it the API answers 401) and ``expiry_reminded_at`` (the
reminder e-mail 7 days before expiry was sent; so it is sent once).

Existing tokens had no expiry. So that no integration breaks without warning, each existing token expires
90 days after it was created (the default of ``HSBTRACK_API_TOKEN_DAYS``) or, if that date has already
passed, 30 days after this migration runs. Revoked tokens get the same date (they do not work anyway).
"""
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = '0012_token_expiry'
down_revision = '0011_two_factor'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('expiry_reminded_at', sa.DateTime(), nullable=True))

    # Computed in Python (date arithmetic differs between SQLite and PostgreSQL); timestamps are naive UTC.
    now = datetime.now(UTC).replace(tzinfo=None)
    tokens = sa.table('api_tokens', sa.column('id', sa.Integer()), sa.column('created_at', sa.DateTime()),
                      sa.column('expires_at', sa.DateTime()))
    bind = op.get_bind()
    rows = bind.execute(sa.select(tokens.c.id, tokens.c.created_at)).all()
    for token_id, created_at in rows:
        if isinstance(created_at, str):  # SQLite without type information
            created_at = datetime.fromisoformat(created_at)
        if created_at is not None and created_at.tzinfo is not None:
            created_at = created_at.astimezone(UTC).replace(tzinfo=None)
        expires_at = (created_at or now) + timedelta(days=90)
        if expires_at <= now:
            expires_at = now + timedelta(days=30)
        bind.execute(tokens.update().where(tokens.c.id == token_id).values(expires_at=expires_at))


def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('expiry_reminded_at')
        batch_op.drop_column('expires_at')
