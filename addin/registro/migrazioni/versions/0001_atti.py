"""Register, first version: the acts table (one hash chain per programme and year).

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "atti",
        sa.Column("programma", sa.Integer, nullable=False),
        sa.Column("anno", sa.Integer, nullable=False),
        sa.Column("posizione", sa.Integer, nullable=False),
        sa.Column("tipo", sa.String(40), nullable=False),
        sa.Column("data", sa.String(10), nullable=False),
        sa.Column("registrato_il", sa.String(32), nullable=False),
        sa.Column("autore", sa.String(200), nullable=False),
        sa.Column("riferimento", sa.Integer, nullable=True),
        sa.Column("dati", sa.Text, nullable=False),
        sa.Column("hash_precedente", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        # the chain position is unique: two writers can never both append act N of a chain
        sa.PrimaryKeyConstraint("programma", "anno", "posizione", name="pk_atti"),
    )
    op.create_index("ix_atti_tipo", "atti", ["programma", "anno", "tipo"])


def downgrade() -> None:
    op.drop_index("ix_atti_tipo", table_name="atti")
    op.drop_table("atti")
