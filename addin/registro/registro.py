"""The register: append acts to a chain, read them back, prove the chains (after Beancount: dated,
append-only directives; a loader that validates; problems returned as data, never raised).

    reg = Registro.apri(url)                      # url None: RENDICONTA_REGISTRO or the embedded SQLite
    reg.registra(1, 2026, RICEZIONE, {...})       # one act, its own transaction
    with reg.scrittura(1, 2026) as w:             # several acts, the chain locked while deciding
        if not w.atti(SIGILLO): w.registra(SIGILLO, {...})
    reg.atti(1, 2026, SIGILLO)                    # read
    reg.verifica() -> list[Anomalia]              # [] when every chain is intact

Acts are never updated or deleted: a correction is a new act whose `riferimento` is the position of
the act it corrects, in the same chain.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import groupby

from pydantic_core import from_json
from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, OperationalError

from addin.errors import ErroreRegistro
from addin.registro import connessione
from addin.registro.atti import TIPI, descrivi_tipo
from addin.registro.catena import HASH_INIZIALE, dati_canonici, hash_atto, impronta_teste
from addin.registro.modelli import AttoDB, CatenaDB

ENV_OPERATORE = "RENDICONTA_OPERATORE"
_COLONNE = [c.name for c in AttoDB.__table__.columns]


def operatore_predefinito() -> str:
    """Who is acting when the front end does not say: RENDICONTA_OPERATORE, else the system user."""
    name = os.environ.get(ENV_OPERATORE, "").strip()
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "sconosciuto"


@dataclass(frozen=True)
class Atto:
    """One act as read from the register (the payload decoded)."""

    programma: int
    anno: int
    posizione: int
    tipo: str
    data: dt.date
    registrato_il: str
    autore: str
    riferimento: int | None
    dati: dict
    hash_precedente: str
    hash: str

    @property
    def etichetta(self) -> str:
        return f"atto {self.posizione} ({descrivi_tipo(self.tipo)}) P{self.programma}/{self.anno}"


def _dati(testo: str) -> dict:
    """An act's payload as stored (canonical JSON, catena.dati_canonici). perf: pydantic_core's parser (a
    dependency already), about twice as fast as json.loads on the seals' megabytes and giving the same objects;
    what it refuses (a lone surrogate escape, invalid JSON) goes to json.loads, whose result or error stands."""
    try:
        return from_json(testo)
    except ValueError:
        return json.loads(testo)


def _atto(row) -> Atto:
    m = row._mapping
    return Atto(m["programma"], m["anno"], m["posizione"], m["tipo"], dt.date.fromisoformat(m["data"]),
                m["registrato_il"], m["autore"], m["riferimento"], _dati(m["dati"]),
                m["hash_precedente"], m["hash"])


@dataclass(frozen=True)
class Anomalia:
    """A problem found by Registro.verifica (Italian message)."""

    programma: int
    anno: int
    posizione: int | None
    codice: str
    messaggio: str


@dataclass(frozen=True)
class StatoCatena:
    programma: int
    anno: int
    lunghezza: int
    ultimo_hash: str
    per_tipo: dict[str, int] = field(default_factory=dict)


def _select_atti(programma: int, anno: int, tipo: str | None, tipi: Iterable[str] | None = None):
    t = AttoDB.__table__
    q = select(t).where(t.c.programma == programma, t.c.anno == anno)
    if tipo is not None:
        q = q.where(t.c.tipo == tipo)
    if tipi is not None:
        q = q.where(t.c.tipo.in_(sorted(tipi)))
    return q.order_by(t.c.posizione)


class Scrittura:
    """Acts of one chain written in one transaction, with the chain locked (see Registro.scrittura)."""

    def __init__(self, conn: Connection, programma: int, anno: int, autore: str, oggi: dt.date) -> None:
        self.conn, self.programma, self.anno, self.autore, self.oggi = conn, programma, anno, autore, oggi
        self.nuovi: list[Atto] = []
        # make sure the chain has a head row, then lock it: a concurrent writer's insert of the same new
        # head waits for ours to commit and then does nothing; its SELECT ... FOR UPDATE waits as well
        ins = (pg_insert if conn.dialect.name == "postgresql" else sqlite_insert)(CatenaDB)
        conn.execute(ins.values(programma=programma, anno=anno, lunghezza=0, ultimo_hash=HASH_INIZIALE)
                     .on_conflict_do_nothing())
        head = conn.execute(select(CatenaDB.lunghezza, CatenaDB.ultimo_hash).where(
            CatenaDB.programma == programma, CatenaDB.anno == anno).with_for_update()).one()
        self.lunghezza, self.ultimo_hash = head

    def atti(self, tipo: str | None = None) -> list[Atto]:
        """The acts of the chain (with those written in this transaction)."""
        return [_atto(r) for r in self.conn.execute(_select_atti(self.programma, self.anno, tipo))]

    def registra(self, tipo: str, dati: dict, *, data: dt.date | None = None, riferimento: int | None = None,
                 autore: str | None = None) -> Atto:
        if tipo not in TIPI:
            raise ErroreRegistro(f"tipo di atto sconosciuto: «{tipo}».")
        if riferimento is not None and not 1 <= riferimento <= self.lunghezza:
            raise ErroreRegistro(f"l'atto {riferimento} non esiste nel registro del programma {self.programma}, "
                                 f"anno {self.anno}.")
        campi = {"programma": self.programma, "anno": self.anno, "posizione": self.lunghezza + 1, "tipo": tipo,
                 "data": (data or self.oggi).isoformat(),
                 "registrato_il": dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds"),
                 "autore": (autore or self.autore).strip()[:200] or "sconosciuto", "riferimento": riferimento,
                 "dati": dati_canonici(dati), "hash_precedente": self.ultimo_hash}
        campi["hash"] = hash_atto(campi)
        self.conn.execute(insert(AttoDB).values(**campi))
        self.conn.execute(update(CatenaDB).where(CatenaDB.programma == self.programma, CatenaDB.anno == self.anno)
                          .values(lunghezza=campi["posizione"], ultimo_hash=campi["hash"]))
        self.lunghezza, self.ultimo_hash = campi["posizione"], campi["hash"]
        atto = Atto(**{**campi, "data": dt.date.fromisoformat(campi["data"]), "dati": json.loads(campi["dati"])})
        self.nuovi.append(atto)
        return atto


class Registro:
    """The Comune's register at one URL (SQLite file or PostgreSQL database)."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine, self.url = engine, url

    @classmethod
    def apri(cls, url: str | None = None) -> Registro:
        """Open (creating or upgrading the schema when needed) the register at `url`."""
        full = connessione.url_registro(url)
        return cls(connessione.apri_motore(full), full)

    @property
    def descrizione(self) -> str:
        return connessione.descrivi(self.url)

    # --- writing -----------------------------------------------------------------------------------
    @contextmanager
    def scrittura(self, programma: int, anno: int, *, autore: str | None = None,
                  oggi: dt.date | None = None) -> Iterator[Scrittura]:
        """A transaction on one chain: other writers of the same chain wait until it ends (PostgreSQL:
        row lock on the chain head; SQLite: the database's write lock). Everything written inside is
        committed together at the end, or nothing if an exception leaves the block."""
        try:
            with connessione.transazione_scrittura(self.engine) as conn:
                if self.engine.dialect.name == "postgresql":
                    conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{connessione.ATTESA_SECONDI}s'")
                yield Scrittura(conn, programma, anno, autore or operatore_predefinito(), oggi or dt.date.today())
        except IntegrityError:
            raise ErroreRegistro(f"un altro utente ha scritto nel registro del programma {programma}, anno "
                                 f"{anno}, nello stesso momento: nessun atto registrato, riprovare.") from None
        except OperationalError as exc:
            raise ErroreRegistro(f"registro {self.descrizione} non disponibile o occupato da un'altra "
                                 f"operazione: nessun atto registrato, riprovare. "
                                 f"({str(exc.orig or exc).strip().splitlines()[0]})") from None

    def registra(self, programma: int, anno: int, tipo: str, dati: dict, *, data: dt.date | None = None,
                 riferimento: int | None = None, autore: str | None = None) -> Atto:
        """Append one act (its own transaction)."""
        with self.scrittura(programma, anno, autore=autore) as w:
            return w.registra(tipo, dati, data=data, riferimento=riferimento)

    # --- reading -----------------------------------------------------------------------------------
    def atti(self, programma: int, anno: int, tipo: str | None = None, *,
             tipi: Iterable[str] | None = None) -> list[Atto]:
        """The acts of a chain in order; `tipo` or `tipi`: only those of that type or types (perf: the others'
        payloads are not even read, e.g. the VERIFICA acts, row by row, that a check does not use)."""
        with self.engine.connect() as conn:
            return [_atto(r) for r in conn.execute(_select_atti(programma, anno, tipo, tipi))]

    def catene(self) -> list[StatoCatena]:
        t = AttoDB.__table__
        with self.engine.connect() as conn:
            heads = conn.execute(select(CatenaDB).order_by(CatenaDB.programma, CatenaDB.anno)).all()
            counts: dict[tuple[int, int], dict[str, int]] = {}
            for p, a, tipo, n in conn.execute(select(t.c.programma, t.c.anno, t.c.tipo, func.count())
                                              .group_by(t.c.programma, t.c.anno, t.c.tipo)):
                counts.setdefault((p, a), {})[tipo] = n
        return [StatoCatena(h.programma, h.anno, h.lunghezza, h.ultimo_hash, counts.get((h.programma, h.anno), {}))
                for h in heads]

    def impronta(self) -> str:
        """A digest of every chain head, to be written down outside the register (see docs/registro.md)."""
        return impronta_teste([(c.programma, c.anno, c.lunghezza, c.ultimo_hash) for c in self.catene()])

    # --- proof -------------------------------------------------------------------------------------
    def verifica(self, conn: Connection | None = None) -> list[Anomalia]:
        """Prove every chain; return what was changed or removed behind the application's back.
        `conn`: read through this connection (a test's open transaction) instead of a new one."""
        if conn is None:
            with self.engine.connect() as own:
                return self.verifica(own)
        heads = {(h.programma, h.anno): (h.lunghezza, h.ultimo_hash) for h in conn.execute(select(CatenaDB))}
        # streamed: a register of many checks holds large payloads, one chain at a time is enough
        rows = conn.execution_options(stream_results=True, yield_per=200).execute(
            select(AttoDB.__table__).order_by(AttoDB.programma, AttoDB.anno, AttoDB.posizione)).mappings()
        return verifica_catene(rows, heads)


def verifica_catene(rows: Iterable[Mapping], teste: dict[tuple[int, int], tuple[int, str]]) -> list[Anomalia]:
    """Pure check of the acts (as stored, ordered by chain and position) against the chain heads."""
    out: list[Anomalia] = []
    seen: set[tuple[int, int]] = set()
    for key, group in groupby(rows, key=lambda r: (r["programma"], r["anno"])):
        seen.add(key)
        out += _verifica_catena(key, list(group), teste.get(key))
    for key in sorted(set(teste) - seen):
        out += _verifica_catena(key, [], teste[key])
    return sorted(out, key=lambda a: (a.programma, a.anno, a.posizione or 0))


def _verifica_catena(key: tuple[int, int], acts: list[Mapping], head: tuple[int, str] | None) -> list[Anomalia]:
    out: list[Anomalia] = []
    p, a = key
    where = f"programma {p}, anno {a}"
    prev_hash, expected_pos = HASH_INIZIALE, 1
    for r in acts:
        pos = r["posizione"]
        if pos != expected_pos:
            if pos > expected_pos:
                out.append(Anomalia(p, a, pos, "ATTO_MANCANTE",
                                    f"Registro {where}: mancano gli atti da {expected_pos} a {pos - 1} "
                                    "(cancellati o spostati)."))
            else:
                out.append(Anomalia(p, a, pos, "POSIZIONE_NON_VALIDA",
                                    f"Registro {where}: posizione {pos} non valida."))
        campi = {k: r[k] for k in r.keys() if k != "hash"}
        if hash_atto(campi) != r["hash"]:
            out.append(Anomalia(p, a, pos, "ATTO_ALTERATO",
                                f"Registro {where}: l'atto {pos} ({descrivi_tipo(r['tipo'])}) è stato modificato "
                                "dopo la registrazione (il suo contenuto non corrisponde più alla sua impronta)."))
        elif r["hash_precedente"] != prev_hash:
            out.append(Anomalia(p, a, pos, "CATENA_INTERROTTA",
                                f"Registro {where}: l'atto {pos} non segue l'atto che lo precede "
                                "(un atto precedente è stato modificato o cancellato)."))
        if not _canonico(r["dati"]):
            out.append(Anomalia(p, a, pos, "DATI_NON_VALIDI",
                                f"Registro {where}: i dati dell'atto {pos} non sono nella forma registrata."))
        if r["tipo"] not in TIPI:
            out.append(Anomalia(p, a, pos, "TIPO_SCONOSCIUTO",
                                f"Registro {where}: l'atto {pos} è di un tipo sconosciuto («{r['tipo']}»)."))
        if r["riferimento"] is not None and not (1 <= r["riferimento"] < pos):
            out.append(Anomalia(p, a, pos, "RIFERIMENTO_NON_VALIDO",
                                f"Registro {where}: l'atto {pos} rimanda a un atto inesistente "
                                f"({r['riferimento']})."))
        prev_hash, expected_pos = r["hash"], max(pos, expected_pos) + 1
    if head is None:
        out.append(Anomalia(p, a, None, "TESTA_MANCANTE",
                            f"Registro {where}: manca la testa della catena ({len(acts)} atti presenti): "
                            "è stata cancellata."))
    elif acts and (head[0] != acts[-1]["posizione"] or head[1] != acts[-1]["hash"]) or not acts and head[0]:
        out.append(Anomalia(p, a, None, "TESTA_DIVERSA",
                            f"Registro {where}: la testa della catena dice {head[0]} atti, il registro ne "
                            f"contiene {len(acts)}: gli ultimi atti sono stati cancellati o la testa "
                            "è stata modificata."))
    elif not acts and head[1] != HASH_INIZIALE:
        out.append(Anomalia(p, a, None, "TESTA_DIVERSA",
                            f"Registro {where}: testa della catena modificata."))
    return out


def _canonico(text: str) -> bool:
    try:
        return dati_canonici(json.loads(text)) == text
    except (ValueError, TypeError):
        return False
