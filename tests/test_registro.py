"""The register's core: the hash chain, its proof, migrations, concurrent writers. Every test runs on
SQLite and, when RENDICONTA_TEST_PG_URL is set (.ci/run), on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from addin.errors import ErroreRegistro
from addin.registro import Registro, connessione
from addin.registro.atti import DECISIONE, RICEZIONE, SIGILLO


def _popola(reg: Registro) -> None:
    reg.registra(1, 2026, RICEZIONE, {"file": "P1.xlsx", "sha256": "ab" * 32, "dimensione": 1234},
                 data=dt.date(2026, 5, 2), autore="Rossi")
    reg.registra(1, 2026, DECISIONE, {"esito": "NON_AMMESSA", "importo": Decimal("120.50"), "riga": 7},
                 autore="Rossi")
    reg.registra(1, 2026, DECISIONE, {"esito": "REVOCATA", "riga": 7}, riferimento=2, autore="Bianchi")
    reg.registra(2, 2026, SIGILLO, {"ambito": "finestra1", "righe": [{"riga": 5, "hmac": "f" * 64}]})
    reg.registra(2, 2026, RICEZIONE, {"file": "P2.xlsx"})


def test_primo_atto_ha_l_impronta_calcolata_a_mano(registro):
    a = registro.registra(3, 2027, RICEZIONE, {"file": "P3.xlsx", "importo": Decimal("10.00"),
                                               "data": dt.date(2027, 1, 31)},
                          data=dt.date(2027, 2, 1), autore="Verdi")
    # the envelope written out by hand: fixed field order, Decimal as string, dates ISO, keys sorted
    dati = '{"data":"2027-01-31","file":"P3.xlsx","importo":"10.00"}'
    envelope = ["rendiconta-registro/1", 3, 2027, 1, "RICEZIONE", "2027-02-01", a.registrato_il, "Verdi", None,
                dati, "0" * 64]
    expected = hashlib.sha256(json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()
    assert a.hash == expected
    b = registro.registra(3, 2027, RICEZIONE, {"file": "P3bis.xlsx"})
    assert (b.posizione, b.hash_precedente) == (2, expected)
    assert [x.posizione for x in registro.atti(3, 2027)] == [1, 2]
    assert registro.atti(3, 2027)[0].dati == {"data": "2027-01-31", "file": "P3.xlsx", "importo": "10.00"}
    assert registro.verifica() == []


def test_gli_atti_di_alcuni_tipi_in_ordine_di_catena(registro):
    # a check reads only the acts leggi_atti folds: the VERIFICA acts (every row's outcome) stay in the database,
    # and the state of the chain is the same as from every act
    from addin.casi.atti_registro import TIPI_LETTI, leggi_atti
    from addin.registro.atti import VERIFICA

    _popola(registro)
    registro.registra(1, 2026, VERIFICA, {"righe": [{"riga": 7, "esito": "Non ammessa"}]})
    registro.registra(1, 2026, DECISIONE, {"esito": "NON_AMMESSA", "importo": Decimal("3.00"), "riga": 9})
    assert [a.posizione for a in registro.atti(1, 2026)] == [1, 2, 3, 4, 5]
    letti = registro.atti(1, 2026, tipi=TIPI_LETTI)
    assert [(a.posizione, a.tipo) for a in letti] == [(1, RICEZIONE), (2, DECISIONE), (3, DECISIONE), (5, DECISIONE)]
    assert [a.posizione for a in registro.atti(1, 2026, tipi=[VERIFICA, RICEZIONE])] == [1, 4]
    assert registro.atti(1, 2026, tipi=[]) == []
    tutti, solo = leggi_atti(1, 2026, registro.atti(1, 2026)), leggi_atti(1, 2026, letti)
    assert solo.decisioni == tutti.decisioni and list(solo.decisioni) == [("riga", 9)]
    assert solo.ricezioni == tutti.ricezioni and solo.sigilli == tutti.sigilli == {}


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                     lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=5), c, max_size=4),
                     max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(_JSON)
def test_il_contenuto_di_un_atto_si_legge_come_con_json_loads(valore):
    # the register's payloads are canonical JSON (dati_canonici): the fast parser gives json.loads' objects
    from addin.registro.registro import _dati

    for testo in (json.dumps(valore, ensure_ascii=False, sort_keys=True, separators=(",", ":")), json.dumps(valore)):
        assert _dati(testo) == json.loads(testo)


def test_il_contenuto_che_il_parser_veloce_rifiuta_resta_di_json_loads():
    from addin.registro.registro import _dati

    assert _dati('{"testo":"\\ud800x"}') == {"testo": "\ud800x"}   # a lone surrogate escape
    with pytest.raises(json.JSONDecodeError):
        _dati('{"a":1}x')


def test_i_numeri_in_virgola_mobile_sono_rifiutati(registro):
    with pytest.raises(TypeError):
        registro.registra(1, 2026, RICEZIONE, {"importo": 1.5})
    assert registro.atti(1, 2026) == []


def test_tipo_sconosciuto_e_riferimento_inesistente_rifiutati(registro):
    with pytest.raises(ErroreRegistro, match="sconosciuto"):
        registro.registra(1, 2026, "PAGAMENTO_INVENTATO", {})
    with pytest.raises(ErroreRegistro, match="non esiste"):
        registro.registra(1, 2026, DECISIONE, {"esito": "REVOCATA"}, riferimento=1)
    assert registro.verifica() == []


def test_transazione_annullata_non_lascia_atti(registro):
    with pytest.raises(RuntimeError):
        with registro.scrittura(1, 2026) as w:
            w.registra(RICEZIONE, {"file": "a"})
            raise RuntimeError("interrotto")
    assert registro.atti(1, 2026) == []
    assert registro.registra(1, 2026, RICEZIONE, {"file": "b"}).posizione == 1
    assert registro.verifica() == []


# --- tampering behind the application's back ---------------------------------------------------------

COLONNE_ATTI = ["programma", "anno", "posizione", "tipo", "data", "registrato_il", "autore", "riferimento",
                "dati", "hash_precedente", "hash"]
COLONNE_CATENE = ["programma", "anno", "lunghezza", "ultimo_hash"]
INTERE = {"programma", "anno", "posizione", "riferimento", "lunghezza"}

modifiche = st.one_of(
    st.tuples(st.just("DELETE"), st.sampled_from(["atti", "catene"]), st.integers(0, 10), st.none(), st.none()),
    st.tuples(st.just("UPDATE"), st.just("atti"), st.integers(0, 10), st.sampled_from(COLONNE_ATTI),
              st.one_of(st.integers(-3, 3000), st.text(min_size=0, max_size=12))),
    st.tuples(st.just("UPDATE"), st.just("catene"), st.integers(0, 10), st.sampled_from(COLONNE_CATENE),
              st.one_of(st.integers(-3, 3000), st.text(min_size=0, max_size=12))),
)


def test_ogni_modifica_diretta_del_database_e_segnalata(registro):
    _popola(registro)
    assert registro.verifica() == []
    keys = {"atti": ["programma", "anno", "posizione"], "catene": ["programma", "anno"]}

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(modifiche)
    def prova(mod):
        op, table, idx, col, value = mod
        with registro.engine.connect() as conn:
            trans = conn.begin()      # every example's change is rolled back at the end
            try:
                rows = [dict(r._mapping) for r in conn.execute(
                    text(f"SELECT * FROM {table} ORDER BY {', '.join(keys[table])}"))]
                row = rows[idx % len(rows)]
                where = " AND ".join(f"{k} = :k_{k}" for k in keys[table])
                params = {f"k_{k}": row[k] for k in keys[table]}
                if op == "UPDATE":
                    value = (value if isinstance(value, int) else len(value)) if col in INTERE else str(value)
                    assume(row[col] != value)
                    sql, params["v"] = f"UPDATE {table} SET {col} = :v WHERE {where}", value
                else:
                    sql = f"DELETE FROM {table} WHERE {where}"
                nested = conn.begin_nested()
                try:
                    n = conn.execute(text(sql), params).rowcount
                except DBAPIError:       # a constraint of the database refused it: nothing changed
                    nested.rollback()
                    assume(False)
                nested.commit()
                assert n == 1
                found = registro.verifica(conn)
                assert found, f"non segnalata: {sql} {params}"
            finally:
                trans.rollback()

    prova()
    assert registro.verifica() == []


# --- migrations --------------------------------------------------------------------------------------

def test_lo_schema_migrato_coincide_con_i_modelli(registro):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from addin.registro.modelli import Base

    with registro.engine.connect() as conn:
        assert connessione.revisione_corrente(conn) == connessione.revisione_testa() == "0002"
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    names = set(inspect(registro.engine).get_table_names())
    assert {"atti", "catene", "alembic_version"} <= names


def test_un_registro_della_versione_0001_si_aggiorna(registro_url):
    from addin.registro.catena import dati_canonici, hash_atto

    eng = connessione.motore(registro_url)
    connessione.aggiorna_schema(eng, "0001")
    with eng.connect() as conn:
        assert connessione.revisione_corrente(conn) == "0001"
        assert "catene" not in inspect(conn).get_table_names()
    # acts written by the first version of the schema (no chain heads yet)
    prev = "0" * 64
    with eng.begin() as conn:
        for pos in (1, 2, 3):
            campi = {"programma": 4, "anno": 2026, "posizione": pos, "tipo": RICEZIONE, "data": "2026-03-01",
                     "registrato_il": f"2026-03-01T10:00:0{pos}+00:00", "autore": "Rossi", "riferimento": None,
                     "dati": dati_canonici({"file": f"f{pos}.xlsx"}), "hash_precedente": prev}
            campi["hash"] = prev = hash_atto(campi)
            conn.execute(text("INSERT INTO atti VALUES (:programma, :anno, :posizione, :tipo, :data, "
                              ":registrato_il, :autore, :riferimento, :dati, :hash_precedente, :hash)"), campi)
    reg = Registro.apri(registro_url)          # opening upgrades to head
    with reg.engine.connect() as conn:
        assert connessione.revisione_corrente(conn) == "0002"
    [c] = reg.catene()
    assert (c.programma, c.anno, c.lunghezza, c.ultimo_hash) == (4, 2026, 3, prev)
    assert reg.verifica() == []
    assert reg.registra(4, 2026, RICEZIONE, {"file": "f4.xlsx"}).hash_precedente == prev
    assert reg.verifica() == []


def test_registro_creato_da_vuoto_e_aperto_due_volte(registro_url):
    a = Registro.apri(registro_url)
    b = Registro.apri(registro_url)
    a.registra(1, 2026, RICEZIONE, {"file": "x"})
    assert [x.dati for x in b.atti(1, 2026)] == [{"file": "x"}]


def test_indirizzo_non_valido_messaggio_italiano():
    with pytest.raises(ErroreRegistro, match="non valido"):
        Registro.apri("questo non è un url")
    with pytest.raises(ErroreRegistro, match="non supportato"):
        Registro.apri("mysql://u@localhost/x")


def test_il_registro_predefinito_e_nella_cartella_dati_dell_utente(monkeypatch, tmp_path):
    monkeypatch.delenv("RENDICONTA_REGISTRO")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert connessione.url_registro() == f"sqlite:///{tmp_path}/rendiconta/registro.sqlite"
    assert connessione.url_registro("sqlite:///altro.sqlite") == "sqlite:///altro.sqlite"


# --- concurrent writers ------------------------------------------------------------------------------

def test_scrittori_concorrenti_non_perdono_atti(registro):
    errors: list[Exception] = []

    def writer(who: str) -> None:
        try:
            for i in range(15):
                registro.registra(1, 2026, RICEZIONE, {"file": f"{who}-{i}"}, autore=who)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in ("A", "B", "C")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    files = sorted(a.dati["file"] for a in registro.atti(1, 2026))
    assert files == sorted(f"{w}-{i}" for w in "ABC" for i in range(15))
    assert [a.posizione for a in registro.atti(1, 2026)] == list(range(1, 46))
    assert registro.verifica() == []


def test_chi_decide_sotto_blocco_vede_quanto_scritto_dall_altro(registro):
    """Read-then-write under the chain lock: the second writer sees the first's act and refrains."""
    order: list[str] = []
    inside = threading.Event()

    def first():
        with registro.scrittura(1, 2026) as w:
            inside.set()
            if not w.atti(SIGILLO):
                threading.Event().wait(0.5)   # keep the lock while the other one tries
                w.registra(SIGILLO, {"ambito": "finestra1"})
                order.append("primo")

    def second():
        inside.wait()
        with registro.scrittura(1, 2026) as w:
            if not w.atti(SIGILLO):
                w.registra(SIGILLO, {"ambito": "finestra1"})
                order.append("secondo")
            else:
                order.append("secondo: già sigillato")

    ts = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert order == ["primo", "secondo: già sigillato"]
    assert len(registro.atti(1, 2026, SIGILLO)) == 1


@pytest.mark.postgresql
def test_postgresql_utente_applicativo_senza_update_ne_delete(registro_pg_url):
    """The multi-worker deployment of docs/registro.md: the schema owner migrates, the application's
    role may only read and append acts (and move the chain heads)."""
    registro_url = registro_pg_url
    import uuid

    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ProgrammingError

    Registro.apri(registro_url)                                  # the owner creates the schema
    role = f"rendiconta_app_{uuid.uuid4().hex[:8]}"
    owner = create_engine(registro_url, isolation_level="AUTOCOMMIT")
    with owner.connect() as conn:
        conn.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN')
        conn.exec_driver_sql(f'GRANT SELECT, INSERT ON atti TO "{role}"; '
                             f'GRANT SELECT, INSERT, UPDATE ON catene TO "{role}"; '
                             f'GRANT SELECT ON alembic_version TO "{role}"')
    try:
        app_url = make_url(registro_url).set(username=role).render_as_string(hide_password=False)
        reg = Registro.apri(app_url)
        reg.registra(1, 2026, RICEZIONE, {"file": "a.xlsx"})
        reg.registra(1, 2026, RICEZIONE, {"file": "b.xlsx"})
        assert reg.verifica() == []
        with reg.engine.connect() as conn:
            with pytest.raises(ProgrammingError, match="permission denied"):
                conn.execute(text("UPDATE atti SET autore = 'x'"))
        with reg.engine.connect() as conn:
            with pytest.raises(ProgrammingError, match="permission denied"):
                conn.execute(text("DELETE FROM atti"))
    finally:
        connessione.chiudi_motori()
        with owner.connect() as conn:
            conn.exec_driver_sql(f'DROP OWNED BY "{role}"; DROP ROLE "{role}"')
        owner.dispose()
