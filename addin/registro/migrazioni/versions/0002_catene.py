"""Chain heads: length and last hash of every chain, filled from the acts already recorded.

Without a head, removing the LAST acts of a chain leaves a chain that still verifies; the head row
is also what concurrent writers lock (SELECT ... FOR UPDATE on PostgreSQL).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    catene = op.create_table(
        "catene",
        sa.Column("programma", sa.Integer, nullable=False),
        sa.Column("anno", sa.Integer, nullable=False),
        sa.Column("lunghezza", sa.Integer, nullable=False),
        sa.Column("ultimo_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("programma", "anno", name="pk_catene"),
    )
    conn = op.get_bind()
    atti = sa.table("atti", sa.column("programma"), sa.column("anno"), sa.column("posizione"), sa.column("hash"))
    last = (sa.select(atti.c.programma, atti.c.anno, sa.func.max(atti.c.posizione).label("n"))
            .group_by(atti.c.programma, atti.c.anno).subquery())
    rows = conn.execute(sa.select(last.c.programma, last.c.anno, last.c.n, atti.c.hash).join(
        atti, (atti.c.programma == last.c.programma) & (atti.c.anno == last.c.anno)
        & (atti.c.posizione == last.c.n))).all()
    if rows:
        op.bulk_insert(catene, [{"programma": p, "anno": a, "lunghezza": n, "ultimo_hash": h}
                                for p, a, n, h in rows])


def downgrade() -> None:
    op.drop_table("catene")
