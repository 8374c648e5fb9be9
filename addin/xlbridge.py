"""The bridge between xlwings (remote interpreter of xlwings Server, or desktop Excel) and addin.

The only module that converts xlwings Book/Sheet values to the inputs of the use cases
(cell grids for `addin.workbook.reader.parse_cartella`) and writes their results back
(values, colours, sheets, the sheet-protection callback). macros_py/ only calls in here.
xlwings objects are duck-typed: this module never imports xlwings itself.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Mapping, Sequence
from decimal import Decimal

from addin.config import default_config
from addin.config.models import Config
from addin.errors import ErroreRendiconta
from addin.rules.money import money, to_decimal
from addin.workbook import schema
from addin.workbook.reader import data_cella, parse_cartella

# --- cell values ---------------------------------------------------------------------------

def to_date(value: object) -> dt.date | None:
    """An Excel date as xlwings may deliver it, read exactly as the reader reads date cells
    (date, datetime, serial number, ISO string, gg/mm/aaaa); None when empty (or a boolean)."""
    if isinstance(value, bool):
        return None
    return data_cella(value)


def to_int(value: object, what: str) -> int:
    d = to_decimal(value)
    if d is None or d != d.to_integral_value():
        raise ValueError(f"{what}: «{value}» non è un numero intero")
    return int(d)


def to_money(value: object, what: str) -> Decimal:
    d = to_decimal(value)
    if d is None:
        raise ValueError(f"{what}: «{value}» non è un importo")
    return d


def today() -> dt.date:
    return dt.date.today()


def _cfg(config: Config | None) -> Config:
    return config if config is not None else default_config()


def in_cella(fn):
    """A custom function shows an Italian error text in its cell instead of #VALUE!."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (ValueError, ErroreRendiconta) as exc:
            return f"Errore: {exc}"
    return wrapper


# --- custom functions (RC.*) -------------------------------------------------------------------

@in_cella
def finestra(data: object, config: Config | None = None) -> str:
    from addin.rules.windows import finestra_di

    d = to_date(data)
    if d is None:
        return ""
    return finestra_di(_cfg(config), d).etichetta


@in_cella
def finestra_chiusa(data: object, riferimento: object = None, config: Config | None = None) -> bool | str:
    from addin.rules.windows import finestra_chiusa as chiusa

    d = to_date(data)
    if d is None:
        return ""
    return chiusa(_cfg(config), d, to_date(riferimento) or today())


@in_cella
def scadenza_blocco(data: object, config: Config | None = None) -> dt.date | str:
    from addin.rules.windows import scadenza_blocco as blocco

    d = to_date(data)
    return "" if d is None else blocco(_cfg(config), d)


@in_cella
def tranche(contributo: object, n: object, config: Config | None = None) -> float:
    from addin.rules.tranches import importo_tranche

    cfg = _cfg(config)
    numero = to_int(n, "Tranche")
    try:
        return float(importo_tranche(cfg, money(to_money(contributo, "Contributo")), numero))
    except KeyError:
        raise ValueError(f"la tranche {numero} non esiste (tranche: "
                         f"{', '.join(str(t.numero) for t in cfg.tranche)})") from None


@in_cella
def scadenza_tranche(anno: object, n: object, config: Config | None = None) -> dt.date:
    from addin.rules.tranches import scadenza_tranche as scadenza

    cfg = _cfg(config)
    numero = to_int(n, "Tranche")
    try:
        return scadenza(cfg, to_int(anno, "Anno"), numero)
    except KeyError:
        raise ValueError(f"la tranche {numero} non esiste") from None


@in_cella
def cofin_minimo(costo_totale: object, config: Config | None = None) -> float:
    from addin.rules.cofinancing import cofinanziamento_minimo

    return float(cofinanziamento_minimo(_cfg(config), money(to_money(costo_totale, "Costo totale"))))


@in_cella
def cofin_quota(cofin: object, costo_totale: object) -> float:
    from addin.rules.money import ratio

    return float(ratio(to_money(cofin, "Cofinanziamento"), to_money(costo_totale, "Costo totale")))


@in_cella
def tariffa_volontari(anno: object = None, config: Config | None = None) -> float:
    from addin.rules.cofinancing import tariffa_tabellare

    a = today().year if anno in (None, "") else to_int(anno, "Anno")
    return float(tariffa_tabellare(_cfg(config), a).valore)


@in_cella
def esito_riga(riga: Sequence[Sequence[object]], oggi: dt.date | None = None,
               config: Config | None = None) -> list[list[object]]:
    """Outcome and reasons of one `Spese` row (cells in schema order, from «Azione»), checked alone:
    the checks across rows (duplicate documents, overheads cap, seals) need Valida/Verifica."""
    from addin.rules.eligibility import Contesto, data_decisiva, valuta_spese
    from addin.workbook.report import etichetta_esito

    cfg = _cfg(config)
    cells = list(riga[0]) if riga and isinstance(riga[0], (list, tuple)) else list(riga or [])
    width = len(schema.input_cols(schema.SPESE_COLS))
    if not any(c not in (None, "") for c in cells[:width]):
        return [["", ""]]
    programma = _programma_da_azione(cells[0], cfg)
    grids = _griglie_minime(cfg, programma, cfg.periodo.inizio.year, cells[:len(schema.SPESE_COLS)])
    spesa = parse_cartella(grids, cfg).spese[0]
    d = data_decisiva(cfg, spesa)
    anno = d.year if d is not None and d.year in cfg.periodo.anni else cfg.periodo.inizio.year
    e = valuta_spese([spesa], Contesto(cfg, programma, anno, oggi or today()))[0]
    return [[etichetta_esito(e.esito), e.testo_motivi()]]


def _programma_da_azione(azione: object, cfg: Config) -> int:
    text = "" if azione is None else str(azione).strip()
    head = text.split(".")[0]
    try:
        numero = int(float(head))
        cfg.programma(numero)
        return numero
    except (ValueError, KeyError):
        return cfg.programmi[0].codice  # the action check will then report the wrong action


def _griglie_minime(cfg: Config, programma: int, anno: int, riga: list[object]) -> dict[str, list[list]]:
    def head(cols):
        return [c.header for c in cols]
    return {
        schema.META: [["chiave", "valore"], [schema.META_PROGRAMMA, str(programma)], [schema.META_ANNO, str(anno)],
                      [schema.META_VERSIONE, schema.SCHEMA_VERSION], [schema.META_TIPO, "programma"]],
        schema.SPESE: [head(schema.SPESE_COLS), riga + [None] * (len(schema.SPESE_COLS) - len(riga))],
        schema.COFINANZIAMENTO: [head(schema.COFIN_COLS)],
        schema.BUDGET: [head(schema.BUDGET_COLS)],
    }


# --- reading a workbook -------------------------------------------------------------------------

def griglia(sheet) -> list[list[object]]:
    """The values of a sheet from A1 to the end of its used range (None for empty cells; dates as
    datetime, which the remote interpreter derives from the ISO strings sent by Office.js)."""
    last = sheet.used_range.last_cell
    values = sheet.range((1, 1), (last.row, last.column)).options(ndim=2).value
    return [list(r) for r in (values or [])]


FOGLI_LETTI = [schema.SPESE, schema.COFINANZIAMENTO, schema.BUDGET, schema.META]   # what the scripts read
FOGLI_CONSOLIDATO_LETTI = [schema.META]


def griglie(book, fogli: Sequence[str] | None = None) -> dict[str, list[list[object]]]:
    wanted = fogli or FOGLI_LETTI
    names = [s.name for s in book.sheets]
    return {n: griglia(book.sheets[n]) for n in wanted if n in names}


def leggi(book, config: Config):

    return parse_cartella(griglie(book), config, path=book.name)


def trova_intestazione(grid: list[list[object]], cols: tuple[schema.Col, ...]) -> tuple[int, dict[str, int]]:
    """(1-based header row, key -> 1-based column) of a schema table: scans the first 10 rows."""
    wanted = {c.header.strip().lower(): c.key for c in cols}
    best: tuple[int, dict[str, int]] = (0, {})
    for i, row in enumerate(grid[:10]):
        found = {wanted[str(v).strip().lower()]: j + 1 for j, v in enumerate(row)
                 if v is not None and str(v).strip().lower() in wanted}
        if len(found) > len(best[1]):
            best = (i + 1, found)
    return best


# --- writing -------------------------------------------------------------------------------------

FORMATO_IMPORTO = "#,##0.00"
FORMATO_DATA = "dd/mm/yyyy"
FORMATO_TESTO = "@"
_MAX_TEXT = 32767


def _cella(v: object) -> tuple[object, str | None]:
    """A value as written by xlwings and the number format it needs (None = leave General)."""
    if v is None:
        return None, None
    if isinstance(v, bool):
        return ("SI" if v else "NO"), FORMATO_TESTO
    if isinstance(v, Decimal):
        return float(v), FORMATO_IMPORTO
    if isinstance(v, float):
        return v, FORMATO_IMPORTO
    if isinstance(v, int):
        return v, "0"
    if isinstance(v, (dt.date, dt.datetime)):
        return (v if isinstance(v, dt.datetime) else dt.datetime(v.year, v.month, v.day)), FORMATO_DATA
    text = "".join(ch for ch in str(v) if ch >= " " or ch in "\t\n")[:_MAX_TEXT]
    return text, FORMATO_TESTO  # text stays text: Excel must not turn "1/2026" into a date or "=x" into a formula


BLOCCO_RIGHE = 2000   # rows per value action: keeps each Office.js request well under its size limit


def scrivi_tabella(sheet, riga: int, colonna: int, righe: Sequence[Sequence[object]],
                   formati: Mapping[int, str] | None = None, formatta: bool = True) -> None:
    """Write rows at (riga, colonna): one number-format action per run of same-format cells in each
    column (text as text, amounts with cents, dates as dates; `formati` overrides the format of the
    non-text cells of a column, by 0-based index), then the values in blocks of BLOCCO_RIGHE rows.
    `formatta=False` writes values only, for cells a protected sheet lets edit but not format."""
    if not righe:
        return
    width = max(len(r) for r in righe) or 1
    formati = formati or {}
    values: list[list[object]] = []
    formats: list[list[str | None]] = []
    for r in righe:
        cells = [_cella(v) for v in r] + [(None, None)] * (width - len(r))
        values.append([v for v, _ in cells])
        formats.append([(formati.get(j, f) if f not in (None, FORMATO_TESTO) else f)
                        for j, (_, f) in enumerate(cells)])
    for j in range(width if formatta else 0):
        start, current = 0, None
        for i in range(len(righe) + 1):
            f = formats[i][j] if i < len(righe) else "<end>"
            if f is None and i < len(righe):
                continue
            if f != current:
                if current is not None:
                    sheet.range((riga + start, colonna + j), (riga + i - 1, colonna + j)).number_format = current
                start, current = i, f
        # cells left None at the end simply share the last run's format
    for i in range(0, len(values), BLOCCO_RIGHE):
        block = values[i:i + BLOCCO_RIGHE]
        sheet.range((riga + i, colonna)).value = [[("" if v is None else v) for v in row] for row in block]


def _foglio_pulito(book, nome: str):
    names = [s.name for s in book.sheets]
    if nome in names:
        sheet = book.sheets[nome]
        sheet.clear()
        return sheet
    return book.sheets.add(nome, after=book.sheets[len(names) - 1])


def avviso(book, testo: str, titolo: str = "Rendiconta", critico: bool = False) -> None:
    book.app.alert(testo, title=titolo, buttons="ok", mode="critical" if critico else "info")


def _errori_in_avviso(fn):
    """Scripts show an Italian alert for user errors instead of a stack trace."""
    @functools.wraps(fn)
    def wrapper(book, *args, **kwargs):
        try:
            return fn(book, *args, **kwargs)
        except ErroreRendiconta as exc:
            avviso(book, str(exc), "Rendiconta: errore", critico=True)
            return None
    return wrapper


# --- scripts ----------------------------------------------------------------------------------

def registro():
    """The Comune's register the server uses (RENDICONTA_REGISTRO; see docs/registro.md)."""
    from addin.registro import Registro

    return Registro.apri()


def _verifica(book, config: Config, oggi: dt.date | None, chiave: bytes | None, reg=None, cartella=None):
    """The check of the open workbook with the register's acts (seals, decisions, sample, notice)."""
    from addin.casi.atti_registro import leggi_atti
    from addin.casi.verifica import esegui_verifica

    cartella = cartella if cartella is not None else leggi(book, config)
    reg = reg if reg is not None else registro()
    atti = leggi_atti(cartella.programma, cartella.anno, reg.atti(cartella.programma, cartella.anno))
    return esegui_verifica(cartella, config, oggi or today(), chiave=chiave, atti=atti)


def _chiave() -> bytes | None:
    from addin.workbook.seals import carica_chiave

    return carica_chiave(None)


def scrivi_esiti(book, r) -> None:
    """Esito, Importo ammesso and Motivi of every expense row on `Spese`; outputs of rows that are no
    longer expenses are cleared. Values only: the template protects `Spese` (output cells unlocked,
    formatting not allowed), formats the output columns and colours the rows by outcome with a
    conditional format on Esito."""
    from addin.workbook.report import etichetta_esito

    sheet = book.sheets[schema.SPESE]
    grid = griglia(sheet)
    header, cols = trova_intestazione(grid, schema.SPESE_COLS)
    keys = ("esito", "importo_ammesso", "motivi")
    if header == 0 or any(k not in cols for k in keys) or cols["motivi"] - cols["esito"] != 2:
        from addin.errors import ErroreInput
        raise ErroreInput("mancano le colonne Esito, Importo ammesso e Motivi (in quest'ordine).",
                          foglio=schema.SPESE)
    first = header + 1
    last = max([first] + [e.riga for e in r.esiti])
    c0 = cols["esito"]
    for i in range(first - 1, len(grid)):  # stale outputs below the last expense row
        if any(grid[i][c - 1] not in (None, "") for c in (c0, c0 + 1, c0 + 2) if c - 1 < len(grid[i])):
            last = max(last, i + 1)
    by_row = {e.riga: e for e in r.esiti}
    rows = []
    for n in range(first, last + 1):
        e = by_row.get(n)
        rows.append([None, None, None] if e is None else
                    [etichetta_esito(e.esito), e.importo_ammesso, _testo_sicuro(e.testo_motivi()) or None])
    scrivi_tabella(sheet, first, c0, rows, formatta=False)


def _testo_sicuro(text: str) -> str:
    """Text written into a General cell: Excel would read a leading = + - @ as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _riepilogo(r) -> str:
    from addin.rules.models import Esito
    from addin.rules.money import fmt_eur

    n = r.conteggi()
    t = r.totali
    return (f"Programma {r.programma}, anno {r.anno}: {len(r.esiti)} righe di spesa controllate al "
            f"{r.data_riferimento:%d/%m/%Y}.\n"
            f"Ammesse: {n[Esito.AMMESSA]} · Da integrare: {n[Esito.DA_INTEGRARE]} · "
            f"Non ammesse: {n[Esito.NON_AMMESSA]} · Escluse: {n[Esito.ESCLUSA]}.\n"
            f"Importo ammesso {fmt_eur(t['ammesso'])} su {fmt_eur(t['rendicontato'])} rendicontati"
            + (f"; da integrare {fmt_eur(t['da_integrare'])}." if t["da_integrare"] else "."))


@_errori_in_avviso
def valida(book, oggi: dt.date | None = None, config: Config | None = None):
    """Partner: every rule on the open workbook, outcomes on `Spese`, a summary alert."""
    cfg = _cfg(config)
    r = _verifica(book, cfg, oggi, _chiave())
    scrivi_esiti(book, r)
    avviso(book, _riepilogo(r), "Valida")
    return r


FOGLIO_VERIFICA, FOGLIO_CAMPIONE, FOGLIO_OSSERVAZIONI = "Verifica", "Campione", "Osservazioni"


@_errori_in_avviso
def verifica(book, oggi: dt.date | None = None, config: Config | None = None, chiave: bytes | None = None,
             operatore: str | None = None):
    """Comune: the whole check in sheets Verifica (summary, row outcomes, warnings), Campione and
    Osservazioni, plus the outcomes on `Spese`; recorded in the register as a VERIFICA act."""
    from addin.workbook import report as rep

    from addin.casi.verifica import dati_verifica
    from addin.registro.atti import VERIFICA

    from addin.casi.referenti import controlla_referente

    cfg = _cfg(config)
    reg = registro()
    cartella = leggi(book, cfg)
    controlla_referente(reg, operatore, cartella.programma)
    r = _verifica(book, cfg, oggi, chiave if chiave is not None else _chiave(), reg, cartella)
    reg.registra(r.programma, r.anno, VERIFICA, dati_verifica(r, book.name, None, None), data=r.data_riferimento,
                 autore=operatore)
    t = rep.tabelle_report(r)
    scrivi_esiti(book, r)
    righe = list(t[rep.SINTESI]) + [[], ["Esito delle righe di spesa"]] + list(t[rep.ESITO])
    if rep.AVVISI in t:
        righe += [[], *t[rep.AVVISI]]
    for nome, rows in ((FOGLIO_VERIFICA, righe), (FOGLIO_CAMPIONE, t[rep.CAMPIONE]),
                       (FOGLIO_OSSERVAZIONI, t[rep.OSSERVAZIONI])):
        sheet = _foglio_pulito(book, nome)
        scrivi_tabella(sheet, 1, 1, rows)
    book.sheets[FOGLIO_VERIFICA].activate()
    avviso(book, _riepilogo(r) + "\nDettagli nei fogli Verifica, Campione e Osservazioni.", "Verifica")
    return r


@_errori_in_avviso
def registra_decisioni(book, config: Config | None = None, scadenza: object = None, operatore: str | None = None):
    """Comune: record in the register the decisions written in the controller columns of the Verifica
    sheet (Tipologia errore, Commento del controllore, Importo decurtato), as `rendiconta decisioni
    importa` does with the report. The button belongs to the task pane (docs/addin.md)."""
    from addin.casi.decisioni import decisioni_della_tabella, registra_decisioni as registra
    from addin.errors import ErroreInput

    cfg = _cfg(config)
    cartella = leggi(book, cfg)
    if FOGLIO_VERIFICA not in [s.name for s in book.sheets]:
        raise ErroreInput("eseguire prima Verifica: il foglio «Verifica» non c'è.")
    grid = griglia(book.sheets[FOGLIO_VERIFICA])
    head = next((i for i, row in enumerate(grid) if row and row[0] == "Riga" and "Tipologia errore" in row), None)
    if head is None:
        raise ErroreInput("tabella dell'esito delle righe non trovata (eseguire di nuovo Verifica).",
                          foglio=FOGLIO_VERIFICA)
    rows = []
    for row in grid[head + 1:]:
        if not row or row[0] in (None, ""):
            break
        rows.append(row)
    wanted = decisioni_della_tabella(grid[head], rows, scadenza=to_date(scadenza), file=None,
                                     foglio=FOGLIO_VERIFICA, prima_riga=head + 2)
    from addin.casi.referenti import controlla_referente

    controlla_referente(registro(), operatore, cartella.programma)
    res = registra(registro(), cartella.programma, cartella.anno, wanted, scadenza=to_date(scadenza),
                   operatore=operatore)
    avviso(book, f"Decisioni registrate nel registro del Comune: {len(res.registrate)}; già presenti: "
                 f"{res.invariate}.", "Decisioni")
    return res


# --- blocca ---------------------------------------------------------------------------------------

CALLBACK_PROTEZIONE = "proteggiRighe"   # registered by the task pane (static/js/main.js)


def _lettera(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def _runs(numbers) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for n in sorted(set(numbers)):
        if out and n == out[-1][1] + 1:
            out[-1] = (out[-1][0], n)
        else:
            out.append((n, n))
    return out


def _ultima_riga(sheet, header: int) -> int:
    last = sheet.used_range.last_cell.row
    for t in sheet.tables:
        rng = t.range
        if rng.row <= header <= rng.last_cell.row:
            last = max(last, rng.last_cell.row)
    return last


def protezione_foglio(sheet, cols: tuple[schema.Col, ...], righe: set[int], chiavi: tuple[str, ...],
                      password: str | None) -> dict:
    """What the protection callback does on one sheet, as A1 addresses: unlock the data area (every
    non-formula column), lock the `chiavi` columns of the sealed `righe`, protect the sheet."""
    header, mapping = trova_intestazione(griglia(sheet), cols)
    if header == 0:
        from addin.errors import ErroreInput
        raise ErroreInput("intestazione della tabella non trovata.", foglio=sheet.name)
    kinds = {c.key: c.kind for c in cols}
    last = max([_ultima_riga(sheet, header), *righe])
    aperte = [mapping[k] for k in mapping if kinds[k] != "formula"]
    chiuse = [mapping[k] for k in chiavi if k in mapping]
    area = [f"{_lettera(a)}{header + 1}:{_lettera(b)}{last}" for a, b in _runs(aperte)]
    bloccate = [f"{_lettera(a)}{r0}:{_lettera(b)}{r1}" for r0, r1 in _runs(righe) for a, b in _runs(chiuse)]
    return {"foglio": sheet.name, "sbloccate": area, "bloccate": bloccate, "password": password or ""}


def proteggi(book, fogli: list[dict]) -> None:
    """Excel on the web/Windows/Mac through the add-in: the task-pane callback (Office.js
    worksheet.protection). Desktop Excel with classic xlwings: the COM object model (Windows)."""
    if book.app.engine.name == "remote":
        book.app.macro(CALLBACK_PROTEZIONE)(fogli)
        return
    for f in fogli:  # classic xlwings on Windows (pywin32)
        ws = book.sheets[f["foglio"]]
        ws.api.Unprotect(f["password"])
        for a in f["sbloccate"]:
            ws.range(a).api.Locked = False
        for a in f["bloccate"]:
            ws.range(a).api.Locked = True
        ws.api.Protect(Password=f["password"], AllowFormattingCells=True, AllowFormattingColumns=True,
                       AllowFiltering=True)


@_errori_in_avviso
def blocca(book, oggi: dt.date | None = None, config: Config | None = None, chiave: bytes | None = None,
           password: str | None = None, operatore: str | None = None):
    """Comune: seal the windows closed at the reference date in the register first (existing seals are
    kept and checked: blanking `_meta` changes nothing), copy them into `_meta`, lock the sealed rows
    and protect `Spese` and `Cofinanziamento` (same rules as `rendiconta blocca`, addin.casi.blocca)."""
    from addin.casi.atti_registro import dati_sigillo, leggi_atti
    from addin.casi.blocca import CHIAVI_BLOCCATE_COFIN, CHIAVI_BLOCCATE_SPESE, pianifica_blocco
    from addin.errors import ErroreChiave
    from addin.registro.atti import SIGILLO
    from addin.workbook.seals import leggi_sigilli

    cfg = _cfg(config)
    oggi = oggi or today()
    chiave = chiave if chiave is not None else _chiave()
    if chiave is None:
        raise ErroreChiave("per bloccare le finestre serve la chiave del Comune: impostare sul server la "
                           "variabile d'ambiente RENDICONTA_CHIAVE_FILE (il file) o RENDICONTA_CHIAVE (il valore).")
    if password is None:
        password = os.environ.get("RENDICONTA_PASSWORD_PROTEZIONE") or None
    from addin.casi.referenti import controlla_referente

    cartella = leggi(book, cfg)
    reg = registro()
    controlla_referente(reg, operatore, cartella.programma)
    with reg.scrittura(cartella.programma, cartella.anno, autore=operatore) as w:
        stato = leggi_atti(cartella.programma, cartella.anno, w.atti(SIGILLO))
        piano = pianifica_blocco(cartella, cfg, oggi, chiave, stato.sigilli)
        for s in piano.nuovi:
            w.registra(SIGILLO, dati_sigillo(s), data=oggi)
    sigilli, nuovi = piano.sigilli, piano.nuovi
    if not sigilli:
        avviso(book, f"Nessuna finestra è chiusa al {oggi:%d/%m/%Y}: non c'è nulla da bloccare.", "Blocca")
        return []
    righe_spese, righe_cofin = piano.righe()   # where the sealed rows are now, and the new seals' rows

    in_file = leggi_sigilli(cartella.meta)
    voci = [kv for a, s in sigilli.items() if a not in in_file for kv in s.voci_meta()]   # the `_meta` copies
    if voci:
        meta = book.sheets[schema.META]
        grid = griglia(meta)
        last = max([0] + [i + 1 for i, row in enumerate(grid) if row and row[0] not in (None, "")])
        scrivi_tabella(meta, last + 1, 1, voci)   # all text: Excel must not turn "2026-05-31" into a date
    fogli = [protezione_foglio(book.sheets[schema.SPESE], schema.SPESE_COLS, righe_spese, CHIAVI_BLOCCATE_SPESE,
                               password),
             protezione_foglio(book.sheets[schema.COFINANZIAMENTO], schema.COFIN_COLS, righe_cofin,
                               CHIAVI_BLOCCATE_COFIN, password)]
    proteggi(book, fogli)
    esistenti = [s.etichetta for s in piano.esistenti.values()]
    testo = (f"Sigilli nuovi: {', '.join(s.etichetta for s in nuovi) or 'nessuno'}; già nel registro del Comune: "
             f"{', '.join(esistenti) or 'nessuno'}.\n"
             f"Righe bloccate: {len(righe_spese)} di Spese, {len(righe_cofin)} di Cofinanziamento.")
    avvisi = [a.replace(f"Foglio «{schema.SPESE}», riga", "Spese, riga") for a in piano.avvisi]
    if avvisi:
        testo += "\nAttenzione, righe modificate dopo il blocco:\n" + "\n".join(avvisi[:20])
    avviso(book, testo, "Blocca")
    return nuovi


# --- consolida --------------------------------------------------------------------------------------

FOGLI_CONSOLIDATO = (schema.CONS_PROGRAMMI, schema.CONS_AZIONI, schema.CONS_PARTNER, schema.CONS_ANOMALIE,
                     schema.CONS_SPESE, schema.META)


def _json_cella(v: object) -> object:
    if isinstance(v, (dt.date, dt.datetime)):
        return {"data": (v.date() if isinstance(v, dt.datetime) else v).isoformat()}
    if isinstance(v, Decimal):
        return float(v)
    return v


def _da_json(v: object) -> object:
    if isinstance(v, dict) and set(v) == {"data"}:
        return dt.date.fromisoformat(str(v["data"]))
    if isinstance(v, (dict, list)):
        raise ValueError("cella non valida")
    return v


def dati_consolidato(paths: Sequence[str], config: Config | None = None, oggi: dt.date | None = None,
                     cartella_lavoro: str | None = None) -> dict:
    """Consolidate programme workbooks (files on the server, e.g. uploaded by the task pane) with the
    consolidation use case and return, as JSON, what goes into each sheet of the consolidation
    workbook: {"fogli": {name: {"righe": [[...]], "formati": {col: number format}}}, "riepilogo": str}."""
    import tempfile
    from pathlib import Path

    from openpyxl import load_workbook

    from addin.casi.consolida import consolida_file

    cfg = _cfg(config)
    with tempfile.TemporaryDirectory(dir=cartella_lavoro) as tmp:
        out = Path(tmp) / "consolidato.xlsx"
        r = consolida_file(list(paths), cfg, oggi or today(), out, registro=registro())
        wb = load_workbook(out, read_only=True)
        fogli = {}
        for name in FOGLI_CONSOLIDATO:
            if name not in wb.sheetnames:
                continue
            ws = wb[name]
            righe, formati = [], {}
            for i, row in enumerate(ws.iter_rows()):
                righe.append([_json_cella(c.value) for c in row])
                if i == 3:   # first data row (title, note, header, data): its formats stand for the column
                    formati = {j: c.number_format for j, c in enumerate(row)
                               if c.number_format and c.number_format != "General"}
            while righe and all(v in (None, "") for v in righe[-1]):
                righe.pop()
            fogli[name] = {"righe": righe, "formati": formati}
        wb.close()
    testo = (f"Consolidato {r.anno} al {r.data_riferimento:%d/%m/%Y}: {len(r.fonti)} cartelle di programma, "
             f"{r.righe_spese} righe di spesa; anomalie: {len(r.anomalie)}"
             + (f"; file non letti: {len(r.errori)}" if r.errori else "")
             + (f"; programmi mancanti: {', '.join(map(str, r.programmi_mancanti))}" if r.programmi_mancanti else "")
             + ".")
    return {"fogli": fogli, "riepilogo": testo}


@_errori_in_avviso
def scrivi_consolidato(book, dati: Mapping) -> list[str]:
    """Capofila: write the sheets prepared by `dati_consolidato` into the open consolidation workbook
    (contents of existing sheets are replaced, their formatting kept)."""
    from addin.errors import ErroreInput

    fogli = dati.get("fogli") if isinstance(dati, Mapping) else None
    if not fogli:
        raise ErroreInput("nessun dato da scrivere: caricare prima le cartelle dei programmi dal riquadro.")
    names = [s.name for s in book.sheets]
    if schema.META in names:
        meta = {str(r[0]).strip(): r[1] for r in griglia(book.sheets[schema.META]) if r and r[0]}
        if meta.get(schema.META_TIPO) not in (None, "", schema.TIPO_CONSOLIDATO):
            raise ErroreInput("questa non è la cartella di consolidamento: aprire il file del consolidato "
                              "(generato da «rendiconta modelli») e riprovare.", foglio=schema.META)
    scritti = []
    for name in FOGLI_CONSOLIDATO:
        if name not in fogli:
            continue
        f = fogli[name]
        try:
            righe = [[_da_json(v) for v in row] for row in f["righe"]]
            formati = {int(k): str(v) for k, v in (f.get("formati") or {}).items()}
        except (KeyError, TypeError, ValueError):
            raise ErroreInput("dati del consolidato non validi.", foglio=name) from None
        if name in names:
            sheet = book.sheets[name]
            sheet.clear_contents()
        else:
            sheet = book.sheets.add(name, after=book.sheets[len(names) - 1])
            names.append(name)
        scrivi_tabella(sheet, 1, 1, righe, formati)
        scritti.append(name)
    if schema.CONS_PROGRAMMI in names:
        book.sheets[schema.CONS_PROGRAMMI].activate()
    avviso(book, str(dati.get("riepilogo") or "Consolidato aggiornato."), "Consolida")
    return scritti


def consolida_cartella(book) -> None:
    """Desktop (classic xlwings): consolidate the programme workbooks in the folder of the open
    consolidation workbook."""
    from pathlib import Path

    from addin.casi.consolida import cartelle_programma

    here = Path(book.fullname)
    paths = cartelle_programma(here.parent, escludi=[here])   # by `_meta` type: no backups, no reports
    try:
        dati = dati_consolidato(paths)
    except ErroreRendiconta as exc:
        avviso(book, str(exc), "Rendiconta: errore", critico=True)
        return
    scrivi_consolidato(book, dati)
