"""The Comune's register: every act of the Comune (receipts, checks, seals, samples, decisions,
notices, observations, officers), append-only and hash-chained, in SQLite (embedded default) or
PostgreSQL. See docs/registro.md.

Modules: connessione (URL, engine, migrations, write locks), modelli (SQLAlchemy tables), catena
(canonical form and hashes, pure), atti (kinds of act and their payloads), registro (Registro:
write, read, prove). The register knows nothing of workbooks: the use cases (addin/casi) turn their
results into acts and back.
"""

from addin.registro.registro import Anomalia, Atto, Registro, StatoCatena, operatore_predefinito

__all__ = ["Anomalia", "Atto", "Registro", "StatoCatena", "operatore_predefinito"]
