"""Alembic environment of the register. Run only through addin.registro.connessione (the app runs
`upgrade head` when it opens a register), which passes an open connection in `attributes`."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
