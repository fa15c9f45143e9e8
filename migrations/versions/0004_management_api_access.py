"""Management API access is granted to machine-to-machine apps one by one

Revision ID: 0004
Revises: 0002
Create Date: 2026-11-29 21:40:00

No existing application is granted access: an operator grants it with `idp app create
--management-api`, a seed file's `management_api = true`, or the Management API.
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('management_api', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_column('management_api')
