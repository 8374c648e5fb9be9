"""Where the register lives and how it is opened: URL, engine, schema migrations, write locks.

- URL: `--registro URL` (front ends), else the environment variable RENDICONTA_REGISTRO (a SQLAlchemy
  URL), else the embedded default: a SQLite file `rendiconta/registro.sqlite` in the user's data folder
  ($XDG_DATA_HOME, else ~/.local/share; %LOCALAPPDATA% on Windows).
- Opening runs the Alembic migrations shipped in the package up to `head`, under a lock (an advisory
  lock on PostgreSQL, BEGIN IMMEDIATE on SQLite), so two processes opening a new register at once
  create it once.
- Writes: `transazione_scrittura` opens a transaction that other writers wait for (BEGIN IMMEDIATE on
  SQLite with a busy timeout, row locks on the chain heads on PostgreSQL: see registro.Registro).
"""

from __future__ import annotations

import functools
import os
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError

from addin.errors import ErroreRegistro

ENV_REGISTRO = "RENDICONTA_REGISTRO"
ATTESA_SECONDI = 60                  # how long a writer waits for another one before giving up
_ADVISORY_MIGRAZIONI = 0x72656E64    # PostgreSQL advisory lock key of the migrations ("rend")
MIGRAZIONI = Path(__file__).with_name("migrazioni")


def cartella_dati() -> Path:
    """The user's data folder for rendiconta."""
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "rendiconta"
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "rendiconta"


def url_predefinito() -> str:
    return f"sqlite:///{cartella_dati() / 'registro.sqlite'}"


def url_registro(url: str | None = None) -> str:
    """The register's URL: the given one, else RENDICONTA_REGISTRO, else the embedded SQLite file."""
    return url or os.environ.get(ENV_REGISTRO) or url_predefinito()


def descrivi(url: str) -> str:
    """The URL for messages, without the password."""
    try:
        u = make_url(url)
        if u.get_backend_name() == "sqlite" and u.database not in (None, "", ":memory:"):
            return f"file SQLite {u.database}"
        return u.render_as_string(hide_password=True)
    except ArgumentError:
        return "(indirizzo non valido)"


def _sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None      # SQLAlchemy emits BEGIN itself (below)
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {ATTESA_SECONDI * 1000}")
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode = WAL")   # readers never wait for the writer
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection):
        # a writer takes the database's write lock at BEGIN: a second writer waits (busy_timeout),
        # instead of reading a state the first one is about to change
        immediate = conn.get_execution_options().get("scrittura", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


_engines: dict[str, Engine] = {}
_aggiornati: set[str] = set()       # URLs whose schema this process has brought up to date
_engines_lock = threading.Lock()


def motore(url: str) -> Engine:
    """The engine of a register URL, created once per process (the add-in server shares it)."""
    with _engines_lock:
        eng = _engines.get(url)
        if eng is not None:
            return eng
        try:
            u = make_url(url)
        except ArgumentError:
            raise ErroreRegistro(f"indirizzo del registro non valido: «{url}» (atteso un URL SQLAlchemy, "
                                 "per esempio sqlite:///registro.sqlite o "
                                 "postgresql+psycopg://utente@host/database).") from None
        if u.get_backend_name() == "sqlite":
            if u.database not in (None, "", ":memory:"):
                Path(u.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            eng = create_engine(u, connect_args={"timeout": ATTESA_SECONDI})
            _sqlite(eng)
        elif u.get_backend_name() == "postgresql":
            if u.drivername == "postgresql":
                u = u.set(drivername="postgresql+psycopg")
            eng = create_engine(u, pool_pre_ping=True)
        else:
            raise ErroreRegistro(f"database «{u.get_backend_name()}» non supportato per il registro: usare "
                                 "SQLite o PostgreSQL.")
        _engines[url] = eng
        return eng


def chiudi_motori() -> None:
    """Dispose of every engine (tests, end of the server)."""
    with _engines_lock:
        for eng in _engines.values():
            eng.dispose()
        _engines.clear()
        _aggiornati.clear()


def _alembic_config(conn: Connection):
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRAZIONI))
    cfg.attributes["connection"] = conn
    return cfg


@functools.lru_cache(maxsize=1)
def revisione_testa() -> str:
    from alembic.script import ScriptDirectory

    cfg = _alembic_config(None)
    return ScriptDirectory.from_config(cfg).get_current_head()


def revisione_corrente(conn: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(conn).get_current_revision()


def aggiorna_schema(engine: Engine, revisione: str = "head") -> None:
    """Run the migrations up to `revisione` (default: the newest), under a lock."""
    from alembic import command

    if revisione == "head":
        with engine.connect() as conn:     # the usual case: already up to date, no lock taken
            if revisione_corrente(conn) == revisione_testa():
                return
    with engine.connect() as conn:
        conn = conn.execution_options(scrittura=True)
        with conn.begin():
            if engine.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_ADVISORY_MIGRAZIONI})")
            if revisione == "head" and revisione_corrente(conn) == revisione_testa():
                return
            command.upgrade(_alembic_config(conn), revisione)


def apri_motore(url: str | None = None) -> Engine:
    """The engine of the register at `url` (see url_registro), its schema brought up to date."""
    full = url_registro(url)
    eng = motore(full)
    if full in _aggiornati:
        return eng
    try:
        aggiorna_schema(eng)
        _aggiornati.add(full)
    except OperationalError as exc:
        raise ErroreRegistro(f"impossibile aprire il registro {descrivi(full)}: "
                             f"{str(exc.orig or exc).strip().splitlines()[0]}") from None
    return eng


@contextmanager
def transazione_scrittura(engine: Engine):
    """A write transaction: other writers of the register wait until it ends."""
    with engine.connect() as conn:
        conn = conn.execution_options(scrittura=True)
        with conn.begin():
            yield conn
