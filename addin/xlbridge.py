"""The bridge between xlwings (the remote interpreter of xlwings Server) and addin.

The only module that converts xlwings Book/Sheet values to the inputs of the use cases
(cell grids for `addin.workbook.reader.parse_cartella`) and writes their results back
(values, colours, sheets, the sheet-protection callback). macros_py/ only calls in here.
xlwings objects are duck-typed: this module never imports xlwings itself.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from addin.config import default_config
from addin.config.models import Config
from addin.errors import ErroreRendiconta
from addin.rules.money import money, to_decimal
from addin.runtime import gc_paused
from addin.workbook import schema
from addin.workbook.reader import data_cella, parse_cartella

# --- cell values ---------------------------------------------------------------------------

class ErroreCella(ErroreRendiconta):
    """A custom function's argument or result is wrong: shown by Excel as an error value (#VALUE!)
    whose message is this Italian text (macros_py.functions turns it into an HTTP 400)."""


def to_date(value: object, what: str = "Data") -> dt.date | None:
    """An Excel date as the cell holds it, read by the project's parser (serial number, ISO or
    gg/mm/aaaa text, date): None when empty; 0, negatives, booleans, serials past 31/12/9999 and
    other text are errors."""
    if isinstance(value, bool):
        raise ErroreCella(f"{what}: {'VERO' if value else 'FALSO'} non è una data (scrivere gg/mm/aaaa o una data di Excel)")
    try:
        return data_cella(value)
    except ValueError as exc:
        raise ErroreCella(f"{what}: {exc} (scrivere gg/mm/aaaa o una data di Excel)") from None


def to_int(value: object, what: str) -> int:
    d = None if isinstance(value, bool) else to_decimal(value)
    if d is None or not d.is_finite() or d != d.to_integral_value():
        raise ErroreCella(f"{what}: «{value}» non è un numero intero")
    return int(d)


def to_money(value: object, what: str, zero: bool = True) -> Decimal:
    """A non-negative amount (not zero when `zero` is False)."""
    d = None if isinstance(value, bool) else to_decimal(value)
    if d is None or not d.is_finite():
        raise ErroreCella(f"{what}: «{value}» non è un importo")
    if d < 0:
        raise ErroreCella(f"{what}: l'importo non può essere negativo ({value})")
    if d == 0 and not zero:
        raise ErroreCella(f"{what}: l'importo non può essere zero (divisione per zero)")
    return d


def today() -> dt.date:
    return dt.date.today()


def _cfg(config: Config | None) -> Config:
    return config if config is not None else default_config()


def in_cella(fn):
    """Every failure of a custom function is an ErroreCella with an Italian message."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ErroreCella:
            raise
        except (ValueError, ErroreRendiconta) as exc:
            raise ErroreCella(str(exc)) from None
    return wrapper


def _anno_del_periodo(cfg: Config, anno: int) -> int:
    if anno not in cfg.periodo.anni:
        raise ErroreCella(f"Anno: {anno} è fuori dal periodo della co-progettazione "
                          f"({cfg.periodo.anni[0]}-{cfg.periodo.anni[-1]})")
    return anno


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
    return chiusa(_cfg(config), d, to_date(riferimento, "Data di riferimento") or today())


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
        raise ErroreCella(f"Tranche: la tranche {numero} non esiste (tranche: "
                          f"{', '.join(str(t.numero) for t in cfg.tranche)})") from None


@in_cella
def scadenza_tranche(anno: object, n: object, config: Config | None = None) -> dt.date:
    from addin.rules.tranches import scadenza_tranche as scadenza

    cfg = _cfg(config)
    numero = to_int(n, "Tranche")
    try:
        return scadenza(cfg, _anno_del_periodo(cfg, to_int(anno, "Anno")), numero)
    except KeyError:
        raise ErroreCella(f"Tranche: la tranche {numero} non esiste") from None


@in_cella
def cofin_minimo(costo_totale: object, config: Config | None = None) -> float:
    from addin.rules.cofinancing import cofinanziamento_minimo

    return float(cofinanziamento_minimo(_cfg(config), money(to_money(costo_totale, "Costo totale"))))


@in_cella
def cofin_mancante(comunale: object, cofin: object, config: Config | None = None) -> float:
    from addin.rules.cofinancing import cofinanziamento_mancante

    return float(cofinanziamento_mancante(_cfg(config), money(to_money(comunale, "Contributo comunale")),
                                          money(to_money(cofin, "Cofinanziamento"))))


@in_cella
def cofin_quota(cofin: object, costo_totale: object) -> float:
    from addin.rules.money import ratio

    return float(ratio(to_money(cofin, "Cofinanziamento"), to_money(costo_totale, "Costo totale", zero=False)))


@in_cella
def tariffa_volontari(anno: object = None, config: Config | None = None) -> float:
    from addin.rules.cofinancing import tariffa_tabellare

    a = today().year if anno in (None, "") else to_int(anno, "Anno")
    try:
        return float(tariffa_tabellare(_cfg(config), a).valore)
    except KeyError:
        raise ErroreCella(f"Anno: nessuna tariffa del volontariato per il {a}") from None


def _righe(riga: object) -> list[list[object]]:
    if isinstance(riga, (list, tuple)) and riga and all(isinstance(r, (list, tuple)) for r in riga):
        return [list(r) for r in riga]
    if isinstance(riga, (list, tuple)):
        return [list(riga)]
    return [[riga]]


@in_cella
def esito_riga(riga: Sequence[Sequence[object]], oggi: dt.date | None = None,
               config: Config | None = None) -> list[list[object]]:
    """Outcome and reasons of each `Spese` row of the range (cells in schema order, from «Azione»),
    each row checked alone: the checks across rows (duplicate documents, overheads cap, seals) need
    Valida/Verifica. One result row per input row; a range of the wrong width is an error."""
    from addin.rules.eligibility import Contesto, data_decisiva, valuta_spese
    from addin.workbook.report import etichetta_esito

    cfg = _cfg(config)
    righe = _righe(riga)
    minimo, massimo = len(schema.input_cols(schema.SPESE_COLS)), len(schema.SPESE_COLS)
    larghezza = len(righe[0])
    if any(len(r) != larghezza for r in righe) or not minimo <= larghezza <= massimo:
        raise ErroreCella(f"l'intervallo deve avere da {minimo} a {massimo} colonne del foglio Spese, dalla "
                          f"colonna Azione in poi (ne ha {larghezza}): es. =RC.ESITO(A5:{_lettera(minimo)}5)")
    out: list[list[object]] = []
    for cells in righe:
        if not any(c not in (None, "") for c in cells[:minimo]):
            out.append(["", ""])
            continue
        programma = _programma_da_azione(cells[0], cfg)
        grids = _griglie_minime(cfg, programma, cfg.periodo.inizio.year, cells)
        spesa = parse_cartella(grids, cfg).spese[0]
        d = data_decisiva(cfg, spesa)
        anno = d.year if d is not None and d.year in cfg.periodo.anni else cfg.periodo.inizio.year
        e = valuta_spese([spesa], Contesto(cfg, programma, anno, oggi or today()))[0]
        out.append([etichetta_esito(e.esito), e.testo_motivi()])
    return out


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
    """The values of a sheet from A1 to the end of its used range, as the client sent them (raw:
    None or "" for empty cells, dates as the ISO text or serial number that the reader parses).
    Raw reads and writes matter: every converted xlwings range operation on the remote interpreter
    copies the whole sheet (10,000 rows: tenths of a second each)."""
    last = sheet.used_range.last_cell
    values = sheet.range((1, 1), (last.row, last.column)).options("raw").value
    if not isinstance(values, (list, tuple)):
        return [[values]]
    return [list(r) if isinstance(r, (list, tuple)) else [r] for r in values]


FOGLI_LETTI = [schema.SPESE, schema.COFINANZIAMENTO, schema.BUDGET, schema.META]   # what the scripts read
FOGLI_CONSOLIDATO_LETTI = [schema.META]
# the large sheets the task pane reads itself, in blocks of rows, and sends as the scripts' last argument
# (static/js/rendiconta.js, leggiFogli); xlwings then sends only `_meta` (docs/addin.md, «Limite di Excel
# per il web»)
FOGLI_DAL_RIQUADRO = [schema.SPESE, schema.COFINANZIAMENTO, schema.BUDGET]
# what a cell may be as JSON sends it: Excel's values (text, number, boolean, empty), never an object or
# a list (xlwings cannot hold them); exact types, checked here for the sheets the task pane sends and by
# addin.serve for the workbook's own values
TIPI_CELLA = frozenset((str, int, float, bool, type(None)))


@dataclass(frozen=True)
class FogliInviati:
    """The sheets the task pane read in blocks of rows (fogli_inviati checked them): each sheet's values
    from A1 to the last used cell exactly as xlwings' getBookData would send them (date-formatted cells as
    ISO text), and the rows (first, last; 1-based) of each sheet's Excel tables, which Blocca's protection
    covers beyond the used range."""

    griglie: dict[str, list[list[object]]]
    tabelle: dict[str, list[tuple[int, int]]]


def fogli_inviati(valore: object, ammessi: Sequence[str]) -> FogliInviati | None:
    """The script argument `{"griglie": {sheet: [[cell, ...], ...]}, "tabelle": {sheet: [[first, last]]}}`
    checked: only the `ammessi` sheets, rows as lists, cells as JSON scalars, table rows as positive
    integers. None (the book's own values are read, as before) when the argument is missing: a task
    pane of an earlier version. Anything else: ErroreInput in Italian (HTTP 400)."""
    from addin.errors import ErroreInput

    if valore is None:
        return None
    aggiorna = ("aggiornare il componente aggiuntivo (tasto destro sul riquadro, Ricarica) e riprovare.")
    griglie_ = valore.get("griglie") if isinstance(valore, dict) else None
    tabelle_ = valore.get("tabelle", {}) if isinstance(valore, dict) else None
    if not isinstance(griglie_, dict) or not isinstance(tabelle_, dict) or set(valore) - {"griglie", "tabelle"}:
        raise ErroreInput("dati dei fogli inviati dal riquadro non validi: " + aggiorna)
    for nome in [*griglie_, *tabelle_]:
        if nome not in ammessi:
            raise ErroreInput(f"il riquadro ha inviato il foglio «{str(nome)[:40]}», che questo pulsante non legge "
                              f"(fogli previsti: {', '.join(ammessi)}): " + aggiorna)
    out: dict[str, list[list[object]]] = {}
    for nome, grid in griglie_.items():
        if not isinstance(grid, list) or not all(isinstance(r, list) for r in grid) \
                or not all(TIPI_CELLA.issuperset(map(type, r)) for r in grid):
            raise ErroreInput("valori del foglio inviati dal riquadro non validi (righe di celle attese): " + aggiorna,
                              foglio=nome)
        out[nome] = grid
    tab: dict[str, list[tuple[int, int]]] = {}
    for nome, righe in tabelle_.items():
        if not isinstance(righe, list) or not all(
                isinstance(t, list) and len(t) == 2 and all(type(x) is int and x >= 1 for x in t) and t[0] <= t[1]
                for t in righe):
            raise ErroreInput("righe delle tabelle inviate dal riquadro non valide: " + aggiorna, foglio=nome)
        tab[nome] = [(a, b) for a, b in righe]
    return FogliInviati(out, tab)


def griglie(book, fogli: Sequence[str] | None = None,
            inviati: FogliInviati | None = None) -> dict[str, list[list[object]]]:
    """The grids of the `fogli` sheets (FOGLI_LETTI) present in the workbook. With `inviati` (the task pane
    read the large sheets), those come from it and only the others (`_meta`, which xlwings sends) from the
    book: a large sheet missing from `inviati` is missing from the workbook."""
    wanted = fogli or FOGLI_LETTI
    names = [s.name for s in book.sheets]
    if inviati is None:
        return {n: griglia(book.sheets[n]) for n in wanted if n in names}
    return {n: inviati.griglie[n] if n in inviati.griglie else griglia(book.sheets[n]) for n in wanted
            if n in names and (n in inviati.griglie or n not in FOGLI_DAL_RIQUADRO)}


def programma_della_cartella(book) -> int | None:
    """The programme number written in `_meta` (None when missing or not a number)."""
    if schema.META not in [s.name for s in book.sheets]:
        return None
    for row in griglia(book.sheets[schema.META]):
        if row and str(row[0]).strip() == schema.META_PROGRAMMA and len(row) > 1:
            try:
                return int(float(str(row[1]).strip()))
            except ValueError:
                return None
    return None


def leggi(book, config: Config, grids: dict[str, list[list[object]]] | None = None,
          inviati: FogliInviati | None = None):
    """The programme workbook parsed by the project's reader; `grids` (if given) receives the cell
    grids read, so that writing back needs no second read. `inviati`: the large sheets as the task pane
    read them (fogli_inviati)."""
    g = griglie(book, inviati=inviati)
    if grids is not None:
        grids.update(g)
    return parse_cartella(g, config, path=book.name)


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
_CONTROLLO = re.compile("[\x00-\x08\x0b-\x1f]")   # control characters but tab and newline


def _cella(v: object) -> tuple[object, str | None]:
    """A value as the client writes it (JSON: numbers, text, "" for empty; dates as Excel serial
    numbers) and the number format it needs (None = leave General)."""
    if v is None:
        return "", None
    if v.__class__ is str:   # perf: the commonest value first (text and reasons)
        return _CONTROLLO.sub("", v)[:_MAX_TEXT], FORMATO_TESTO
    if isinstance(v, bool):
        return ("SI" if v else "NO"), FORMATO_TESTO
    if isinstance(v, Decimal):
        return float(v), FORMATO_IMPORTO
    if isinstance(v, float):
        return v, FORMATO_IMPORTO
    if isinstance(v, int):
        return v, "0"
    if isinstance(v, dt.datetime):
        secondi = v.hour * 3600 + v.minute * 60 + v.second
        return schema.excel_serial(v.date()) + (secondi / 86400 if secondi else 0), FORMATO_DATA
    if isinstance(v, dt.date):
        return schema.excel_serial(v), FORMATO_DATA
    text = _CONTROLLO.sub("", str(v))[:_MAX_TEXT]
    return text, FORMATO_TESTO  # text stays text: Excel must not turn "1/2026" into a date or "=x" into a formula


CALLBACK_FORMATI = "formattaCelle"   # registered by the task pane (static/js/main.js)
MAX_BYTES_AZIONE = 3 * 1024 * 1024   # values per setValues action: Excel on the web refuses requests over 5 MB


@dataclass
class Tabella:
    """Rows to write at (riga, colonna) of a sheet: the values as the client writes them and the
    number formats as {format: [A1 ranges]} (runs of same-format cells, adjacent columns merged)."""

    foglio: str
    riga: int
    colonna: int
    valori: list[list[object]]
    formati: dict[str, list[str]]


def tabella(foglio: str, riga: int, colonna: int, righe: Sequence[Sequence[object]],
            formati: Mapping[int, str] | None = None, formatta: bool = True) -> Tabella:
    """Text as text, amounts with cents, dates as dates; `formati` overrides the format of the
    non-text cells of a column, by 0-based index. `formatta=False`: values only."""
    width = max((len(r) for r in righe), default=0) or 1
    formati = formati or {}
    values: list[list[object]] = []
    formats: list[list[str | None]] = []
    for r in righe:
        cells = [_cella(v) for v in r] + [("", None)] * (width - len(r))
        values.append([v for v, _ in cells])
        if formatta:
            formats.append([(formati.get(j, f) if f not in (None, FORMATO_TESTO) else f)
                            for j, (_, f) in enumerate(cells)])
    runs: list[tuple[int, int, int, int, str]] = []   # (row0, row1, col0, col1, format), 0-based
    for j in range(width if righe and formatta else 0):
        start, current = 0, None
        for i in range(len(righe) + 1):
            f = formats[i][j] if i < len(righe) else "<end>"
            if f is None and i < len(righe):
                continue   # empty cells share the run they sit in
            if f != current:
                if current is not None:
                    prev = runs[-1] if runs else None
                    if prev and prev[:2] == (start, i - 1) and prev[3] == j - 1 and prev[4] == current:
                        runs[-1] = (start, i - 1, prev[2], j, current)
                    else:
                        runs.append((start, i - 1, j, j, current))
                start, current = i, f
    out: dict[str, list[str]] = {}
    for r0, r1, c0, c1, f in runs:
        out.setdefault(f, []).append(f"{_lettera(colonna + c0)}{riga + r0}:{_lettera(colonna + c1)}{riga + r1}")
    return Tabella(foglio, riga, colonna, values, out)


def scrivi(book, tabelle: Sequence[Tabella], formatta: bool = True, riquadro: Mapping | None = None,
           pulisci: Sequence[str] = (), attiva: str | None = None) -> None:
    """Write tables with few actions: every number format of every table in one callback action
    (before the values, so that text is written into text cells), then one raw setValues per table
    (split only past MAX_BYTES_AZIONE). `formatta=False` writes values only, for cells a protected
    sheet lets edit but not format. `riquadro`: what the task pane shows after the formats (e.g. the
    verbale of Verifica), carried by the same action: no extra round trip to Excel. `pulisci`: existing
    sheets the same action clears first (values and formats, as xlwings' sheet.clear()); `attiva`: the
    sheet it shows (as sheet.activate()): neither costs an action of its own."""
    tabelle = [t for t in tabelle if t.valori]
    extra: dict[str, dict[str, bool]] = {}
    for nome in pulisci:
        extra.setdefault(nome, {})["pulisci"] = True
    if attiva:
        extra.setdefault(attiva, {})["attiva"] = True
    formati = [{"foglio": t.foglio, "formati": t.formati, **extra.pop(t.foglio, {})}
               for t in tabelle if formatta and t.formati]
    formati += [{"foglio": nome, "formati": {}, **e} for nome, e in extra.items()]
    if formatta and riquadro:
        book.app.macro(CALLBACK_FORMATI)(formati, dict(riquadro))
    elif formati:
        book.app.macro(CALLBACK_FORMATI)(formati)
    for t in tabelle:
        sheet = book.sheets[t.foglio]
        width = len(t.valori[0])
        start, size = 0, 0
        for i, row in enumerate(t.valori + [None]):
            n = sum(len(v) + 3 if isinstance(v, str) else 20 for v in row) if row is not None else 0
            if row is None or (size + n > MAX_BYTES_AZIONE and i > start):
                block = t.valori[start:i]
                sheet.range((t.riga + start, t.colonna),
                            (t.riga + i - 1, t.colonna + width - 1)).options("raw").value = block
                start, size = i, 0
            size += n


def scrivi_tabella(sheet, riga: int, colonna: int, righe: Sequence[Sequence[object]],
                   formati: Mapping[int, str] | None = None, formatta: bool = True) -> None:
    """One table: its formats (one callback action) and values."""
    if righe:
        scrivi(sheet.book, [tabella(sheet.name, riga, colonna, righe, formati, formatta)], formatta)


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


def _verifica(book, config: Config, oggi: dt.date | None, chiave: bytes | None, grids: dict | None = None,
              reg=None, cartella=None):
    """The check of the open workbook with the register's acts (seals, decisions, sample, notice) and its
    approved budget variations and payments made, as `rendiconta verifica` reads them (verifica_file)."""
    from addin.casi.atti_registro import TIPI_LETTI, leggi_atti
    from addin.casi.pagamenti import pagamenti_registrati
    from addin.casi.variazioni import variazioni_registrate
    from addin.casi.verifica import esegui_verifica

    cartella = cartella if cartella is not None else leggi(book, config, grids)
    reg = reg if reg is not None else registro()
    atti = leggi_atti(cartella.programma, cartella.anno, reg.atti(cartella.programma, cartella.anno, tipi=TIPI_LETTI))
    return esegui_verifica(cartella, config, oggi or today(), chiave=chiave, atti=atti,
                           variazioni=variazioni_registrate(reg, config, [cartella.anno]),
                           pagamenti=pagamenti_registrati(reg, config, [cartella.anno]))


def _chiave() -> bytes | None:
    from addin.workbook.seals import carica_chiave

    return carica_chiave(None)


def scrivi_esiti(book, r, grid: list[list[object]] | None = None) -> None:
    """Esito, Importo ammesso and Motivi of every expense row on `Spese`; outputs of rows that are no
    longer expenses are cleared. Values only: the template protects `Spese` (output cells unlocked,
    formatting not allowed), formats the output columns and colours the rows by outcome with a
    conditional format on Esito."""
    from addin.workbook.report import etichetta_esito

    sheet = book.sheets[schema.SPESE]
    grid = grid if grid is not None else griglia(sheet)
    header, cols = trova_intestazione(grid, schema.SPESE_COLS)
    keys = ("esito", "importo_ammesso", "motivi")
    if header == 0 or any(k not in cols for k in keys) or cols["motivi"] - cols["esito"] != 2:
        from addin.errors import ErroreInput
        raise ErroreInput("mancano le colonne Esito, Importo ammesso e Motivi (in quest'ordine).",
                          foglio=schema.SPESE)
    first = header + 1
    last = max([first] + [e.riga for e in r.esiti])
    c0 = cols["esito"]
    for i in range(last, len(grid)):  # stale outputs below the last expense row (grid[last] is Excel row last + 1)
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
            + (f"; da integrare {fmt_eur(t['da_integrare'])}." if t["da_integrare"] else ".")
            + _voci_non_conteggiate(r))


def _voci_non_conteggiate(r) -> str:
    """The co-financing rows that do not count (no date, dated in another year, changed after the seal,
    unreadable): the Cofinanziamento sheet has no outcome columns, so the alert names them."""
    out = [f"riga {e.riga} ({e.esito.value}): {e.motivi[0].messaggio}" for e in getattr(r, "cofin_esiti", [])
           if not e.conteggiata and e.motivi]
    if not out:
        return ""
    more = f"\n… e altre {len(out) - 5}." if len(out) > 5 else ""
    return f"\nCofinanziamento, {len(out)} voci non conteggiate:\n" + "\n".join(out[:5]) + more


@_errori_in_avviso
def valida(book, oggi: dt.date | None = None, config: Config | None = None, inviati: FogliInviati | None = None):
    """Partner: every rule on the open workbook, outcomes on `Spese`, a summary alert. `inviati`: the large
    sheets as the task pane read them (fogli_inviati); None: the book's own values."""
    cfg = _cfg(config)
    grids: dict = {}
    with gc_paused():   # as the CLI's verifica: tens of thousands of rows, values and reasons (addin.runtime)
        r = _verifica(book, cfg, oggi, _chiave(), grids, cartella=leggi(book, cfg, grids, inviati))
        scrivi_esiti(book, r, grids.get(schema.SPESE))
    avviso(book, _riepilogo(r), "Valida")
    return r


FOGLIO_VERIFICA, FOGLIO_CAMPIONE, FOGLIO_OSSERVAZIONI = "Verifica", "Campione", "Osservazioni"
FOGLI_DAL_RIQUADRO_DECISIONI = [FOGLIO_VERIFICA]   # Registra decisioni: the task pane reads Verifica


# --- the verbale of a check from the add-in ----------------------------------------------------------

ENV_VERBALI = "RENDICONTA_VERBALI"
NOME_VERBALE = re.compile(r"^verbale_P(\d{1,2})_(\d{4})_(\d{8})_([0-9a-f]{12})\.pdf$")


def cartella_verbali() -> Path:
    """Where the server keeps the verbali of the add-in's checks: RENDICONTA_VERBALI, else «verbali» in
    the user's data folder (next to the embedded register)."""
    raw = os.environ.get(ENV_VERBALI, "").strip()
    if raw:
        return Path(raw).expanduser()
    from addin.registro.connessione import cartella_dati

    return cartella_dati() / "verbali"


def impronta_dati(grids: Mapping[str, list[list[object]]]) -> str:
    """SHA-256 of the sheet values Excel sent (canonical JSON, sheets by name): what the add-in checked."""
    import hashlib
    import json

    testo = json.dumps({k: grids[k] for k in sorted(grids)}, ensure_ascii=False, sort_keys=True,
                       separators=(",", ":"), default=str)
    return hashlib.sha256(testo.encode("utf-8")).hexdigest()


def nome_verbale(r) -> str:
    """verbale_P<programme>_<year>_<reference date yyyymmdd>_<first 12 hex of the data hash>.pdf"""
    return f"verbale_P{r.programma}_{r.anno}_{r.data_riferimento:%Y%m%d}_{(r.sha256_dati or '0' * 12)[:12]}.pdf"


def verbale_sul_server(r) -> tuple[Path | None, str | None]:
    """Write the verbale PDF/A of a check into the server's folder: (path, None), or (None, the Italian
    reason) when it cannot be produced (LibreOffice missing, folder not writable): Verifica goes on."""
    from addin.documenti.verbale import scrivi_verbale

    cartella = cartella_verbali()
    try:
        if not cartella.is_dir():
            if os.environ.get(ENV_VERBALI, "").strip():
                return None, (f"la cartella dei verbali «{cartella}» ({ENV_VERBALI}) non esiste sul server: "
                              "chiedere all'amministratore di crearla.")
            cartella.mkdir(parents=True, exist_ok=True)
        return scrivi_verbale(r, cartella / nome_verbale(r)), None
    except ErroreRendiconta as exc:
        return None, str(exc)
    except OSError as exc:
        from addin.output import errore_os

        return None, f"impossibile scrivere nella cartella dei verbali «{cartella}»: {errore_os(exc)}."


def _impronta_pdf(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


@_errori_in_avviso
def verifica(book, oggi: dt.date | None = None, config: Config | None = None, chiave: bytes | None = None,
             operatore: str | None = None, verbale: bool = True, inviati: FogliInviati | None = None):
    """Comune: the whole check in sheets Verifica (summary, row outcomes, warnings), Campione and
    Osservazioni, plus the outcomes on `Spese`; recorded in the register as a VERIFICA act. With
    `verbale` the verbale PDF/A is written into the server's folder (cartella_verbali; its name and
    SHA-256 in the act) and the task pane offers it for download; without LibreOffice the check goes on
    and the pane says why there is no verbale."""
    from addin.workbook import report as rep

    from addin.casi.verifica import dati_verifica
    from addin.registro.atti import VERIFICA

    from addin.casi.referenti import controlla_referente

    cfg = _cfg(config)
    grids: dict = {}
    reg = registro()
    with gc_paused():   # as the CLI's verifica (addin.runtime)
        cartella = leggi(book, cfg, grids, inviati)
        controlla_referente(reg, operatore, cartella.programma)
        r = _verifica(book, cfg, oggi, chiave if chiave is not None else _chiave(), grids, reg, cartella)
    r.sha256_dati = impronta_dati(grids)
    if r.registro is not None:
        from addin.casi.verifica import ricezione_registrata

        r.ricezione = ricezione_registrata(r.registro, None)   # shown, not compared: no file bytes here
    pdf, problema = verbale_sul_server(r) if verbale else (None, None)
    dati = dati_verifica(r, book.name, None, _impronta_pdf(pdf) if pdf else None)
    dati["sha256_dati"] = r.sha256_dati
    if pdf:
        dati["verbale"] = pdf.name
    reg.registra(r.programma, r.anno, VERIFICA, dati, data=r.data_riferimento, autore=operatore)
    with gc_paused():
        t = rep.tabelle_report(r)
        scrivi_esiti(book, r, grids.get(schema.SPESE))
        righe = list(t[rep.SINTESI]) + [[]] + list(t[rep.ESITO])       # Esito opens with its own title line
        if rep.AVVISI in t:
            righe += [[], *t[rep.AVVISI]]
        fogli = ((FOGLIO_VERIFICA, righe), (FOGLIO_CAMPIONE, t[rep.CAMPIONE]),
                 (FOGLIO_OSSERVAZIONI, t[rep.OSSERVAZIONI]))
        esistenti = [s.name for s in book.sheets]
        for nome, _ in fogli:
            if nome not in esistenti:
                book.sheets.add(nome, after=book.sheets[len(book.sheets) - 1])
        riquadro = {"verbale": {"nome": pdf.name if pdf else "", "problema": problema or ""}} if verbale else None
        # at most ten actions (docs/addin.md): outcomes on Spese, a new sheet each (none when they exist: the
        # formats action clears them and shows Verifica), the formats, the tables (Verifica in two past
        # MAX_BYTES_AZIONE, 10,000 rows), the alert
        scrivi(book, [tabella(nome, 1, 1, rows) for nome, rows in fogli], riquadro=riquadro,
               pulisci=[nome for nome, _ in fogli if nome in esistenti], attiva=FOGLIO_VERIFICA)
    testo = _riepilogo(r) + "\nDettagli nei fogli Verifica, Campione e Osservazioni."
    if verbale:
        testo += ("\nVerbale PDF/A pronto: scaricarlo dal riquadro («Scarica il verbale»)." if pdf else
                  f"\nIl verbale PDF/A non è stato prodotto: {problema}")
    avviso(book, testo, "Verifica")
    return r


def _intestazione(book, config: Config):
    """The workbook's programme and year from `_meta`, checked by the reader as for a whole workbook, without
    the expense rows: Registra decisioni reads only `_meta` and `Verifica` (Excel on the web's 5 MB)."""
    grids = _griglie_minime(config, config.programmi[0].codice, config.periodo.inizio.year, [])
    grids[schema.SPESE] = grids[schema.SPESE][:1]
    if schema.META in [s.name for s in book.sheets]:
        grids[schema.META] = griglia(book.sheets[schema.META])
    else:
        del grids[schema.META]
    return parse_cartella(grids, config, path=book.name)


@_errori_in_avviso
def registra_decisioni(book, config: Config | None = None, scadenza: object = None, operatore: str | None = None,
                       inviati: FogliInviati | None = None):
    """Comune: record in the register the decisions written in the controller columns of the Verifica
    sheet (Tipologia errore, Commento del controllore, Importo decurtato), as `rendiconta decisioni
    importa` does with the report. The button belongs to the task pane (docs/addin.md). `inviati`: the
    Verifica sheet as the task pane read it (fogli_inviati); None: the book's own values."""
    from addin.casi.decisioni import decisioni_della_tabella, registra_decisioni as registra
    from addin.errors import ErroreInput
    from addin.registro.atti import RICHIESTA_INTEGRAZIONE

    cfg = _cfg(config)
    scadenza = scadenza_integrazioni(scadenza, today())
    cartella = _intestazione(book, cfg)
    if FOGLIO_VERIFICA not in [s.name for s in book.sheets] or (
            inviati is not None and FOGLIO_VERIFICA not in inviati.griglie):
        raise ErroreInput("eseguire prima Verifica: il foglio «Verifica» non c'è.")
    grid = inviati.griglie[FOGLIO_VERIFICA] if inviati is not None else griglia(book.sheets[FOGLIO_VERIFICA])
    head = next((i for i, row in enumerate(grid) if row and row[0] == "Riga" and "Tipologia errore" in row), None)
    if head is None:
        raise ErroreInput("tabella dell'esito delle righe non trovata (eseguire di nuovo Verifica).",
                          foglio=FOGLIO_VERIFICA)
    rows = []
    for row in grid[head + 1:]:
        if not row or row[0] in (None, ""):
            break
        rows.append(row)
    try:
        wanted = decisioni_della_tabella(grid[head], rows, scadenza=scadenza, file=None,
                                         foglio=FOGLIO_VERIFICA, prima_riga=head + 2)
    except ErroreInput as exc:
        if scadenza is None and exc.colonna == "Tipologia errore":   # a request for documents, no deadline
            raise ErroreInput("la riga chiede un'integrazione di documenti: scrivere nel riquadro la scadenza "
                              "delle richieste di integrazione (gg/mm/aaaa) e premere di nuovo Registra "
                              "decisioni.", foglio=FOGLIO_VERIFICA, riga=exc.riga,
                              colonna="Tipologia errore") from None
        raise
    from addin.casi.referenti import controlla_referente

    controlla_referente(registro(), operatore, cartella.programma)
    res = registra(registro(), cartella.programma, cartella.anno, wanted, scadenza=scadenza,
                   operatore=operatore)
    richieste = sum(1 for a in res.registrate if a.dati.get("esito") == RICHIESTA_INTEGRAZIONE)
    avviso(book, f"Decisioni registrate nel registro del Comune: {len(res.registrate)}; già presenti: "
                 f"{res.invariate}." + (f"\nRichieste di integrazione: {richieste}, con scadenza il "
                                        f"{scadenza:%d/%m/%Y}." if richieste else ""), "Decisioni")
    return res


def scadenza_integrazioni(valore: object, oggi: dt.date) -> dt.date | None:
    """The deadline typed in the task pane (gg/mm/aaaa): None when empty; a date before today is refused."""
    from addin.errors import ErroreInput

    if valore is None or (isinstance(valore, str) and not valore.strip()):
        return None
    try:
        d = to_date(valore.strip() if isinstance(valore, str) else valore, "Scadenza delle richieste di integrazione")
    except ErroreCella as exc:
        raise ErroreInput(f"{exc}: correggerla nel riquadro.") from None
    if d < oggi:
        raise ErroreInput(f"la scadenza delle richieste di integrazione ({d:%d/%m/%Y}) è già passata (oggi è il "
                          f"{oggi:%d/%m/%Y}): scrivere nel riquadro una data da oggi in poi.")
    return d


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


def _ultima_riga(sheet, header: int, grid: list[list[object]] | None = None,
                 tabelle: Sequence[tuple[int, int]] | None = None) -> int:
    """The last row of the data area: the used range's or, further down, that of the Excel table holding
    the header row (the template's tables reach past the rows filled in). `tabelle`: the tables' rows as
    the task pane read them, with the sheet's `grid` (from A1 to the used range's last row); None: the
    sheet came with xlwings' book data (its used range and tables)."""
    if tabelle is not None:
        spans = list(tabelle)
        last = len(grid or [])
    else:
        spans = [(t.range.row, t.range.last_cell.row) for t in sheet.tables]
        last = sheet.used_range.last_cell.row
    for first, end in spans:
        if first <= header <= end:
            last = max(last, end)
    return last


def protezione_foglio(sheet, cols: tuple[schema.Col, ...], righe: set[int], chiavi: tuple[str, ...],
                      password: str | None, grid: list[list[object]] | None = None,
                      tabelle: Sequence[tuple[int, int]] | None = None) -> dict:
    """What the protection callback does on one sheet, as A1 addresses: unlock the data area (every
    non-formula column), lock the `chiavi` columns of the sealed `righe`, protect the sheet. `tabelle`:
    the sheet's Excel tables as the task pane read them (see _ultima_riga)."""
    header, mapping = trova_intestazione(grid if grid is not None else griglia(sheet), cols)
    if header == 0:
        from addin.errors import ErroreInput
        raise ErroreInput("intestazione della tabella non trovata.", foglio=sheet.name)
    kinds = {c.key: c.kind for c in cols}
    last = max([_ultima_riga(sheet, header, grid, tabelle), *righe])
    aperte = [mapping[k] for k in mapping if kinds[k] != "formula"]
    chiuse = [mapping[k] for k in chiavi if k in mapping]
    area = [f"{_lettera(a)}{header + 1}:{_lettera(b)}{last}" for a, b in _runs(aperte)]
    bloccate = [f"{_lettera(a)}{r0}:{_lettera(b)}{r1}" for r0, r1 in _runs(righe) for a, b in _runs(chiuse)]
    from addin.workbook.protection import OPZIONI_PROTEZIONE

    return {"foglio": sheet.name, "sbloccate": area, "bloccate": bloccate, "password": password or "",
            "opzioni": dict(OPZIONI_PROTEZIONE)}


def proteggi(book, fogli: list[dict]) -> None:
    """The task-pane callback (Office.js worksheet protection: xlwings' remote API has none)."""
    book.app.macro(CALLBACK_PROTEZIONE)(fogli)


def _copie_meta(grid: list[list[object]], sigilli) -> Tabella:
    """The `_meta` rows that copy `sigilli` (all text: Excel must not turn "2026-05-31" into a date):
    appended after the last entry when none of them is in the sheet; otherwise the sheet's key/value
    pairs are written again from A1 without the old copies of those seals (blank rows below)."""
    from addin.workbook.seals import PREFISSO

    voci = [list(kv) for s in sigilli for kv in s.voci_meta()]
    prefixes = tuple(f"{PREFISSO}{s.ambito}." for s in sigilli)
    rows = [[r[0], r[1] if len(r) > 1 else ""] for r in grid if r and r[0] not in (None, "")]
    if not any(str(r[0]).strip().startswith(prefixes) for r in rows):
        last = max([0] + [i + 1 for i, r in enumerate(grid) if r and r[0] not in (None, "")])
        return tabella(schema.META, last + 1, 1, voci)
    kept = [r for r in rows if not str(r[0]).strip().startswith(prefixes)] + voci
    return tabella(schema.META, 1, 1, kept + [["", ""]] * max(0, len(grid) - len(kept)))


def _esiti(book, cfg: Config, oggi: dt.date, chiave: bytes, grids: dict, reg, cartella) -> None:
    """Esito, Importo ammesso and Motivi on `Spese` after Blocca, with the seals just recorded: the task
    pane cleared them before sending the workbook (Excel on the web's 5 MB, docs/addin.md). Written after
    the protection, into the unlocked output cells (values only)."""
    scrivi_esiti(book, _verifica(book, cfg, oggi, chiave, grids, reg, cartella), grids.get(schema.SPESE))


@_errori_in_avviso
def blocca(book, oggi: dt.date | None = None, config: Config | None = None, chiave: bytes | None = None,
           password: str | None = None, operatore: str | None = None, risigilla: str | None = None,
           motivo: str | None = None, inviati: FogliInviati | None = None):
    """Comune: seal the windows closed at the reference date in the register first (existing seals are
    kept and checked: blanking `_meta` changes nothing), copy them into `_meta`, lock the sealed rows
    and protect `Spese` and `Cofinanziamento` (same rules as `rendiconta blocca`, addin.casi.blocca).
    `risigilla` + `motivo`: seal that window again (see `risigilla`)."""
    return _blocca(book, oggi, config, chiave, password, operatore, risigilla, motivo, inviati)


def risigillabili(config: Config | None = None) -> list[str]:
    """The choices of «Risigilla finestra» (the task pane lists them): each window's number, co-financing."""
    return [str(f.numero) for f in _cfg(config).finestre] + ["cofinanziamento"]


@_errori_in_avviso
def risigilla(book, finestra: object, motivo: object, oggi: dt.date | None = None, config: Config | None = None,
              chiave: bytes | None = None, password: str | None = None, operatore: str | None = None,
              inviati: FogliInviati | None = None):
    """Comune, «Risigilla finestra» in the task pane: the same use case as `rendiconta blocca --risigilla N
    --motivo "..."` (a new SIGILLO act with the reason, referencing the seal it replaces), then the
    `_meta` copies and the protection as Blocca does. The window must be sealed already and closed."""
    from addin.errors import ErroreInput

    scelte = risigillabili(config)
    scelta = str(finestra if finestra is not None else "").strip().lower()
    if scelta not in scelte:
        raise ErroreInput(("Risigilla: scegliere la finestra" if not scelta else
                           f"Risigilla: finestra «{scelta[:20]}» non prevista: scegliere")
                          + f" {', '.join(scelte[:-1])} o Cofinanziamento nel riquadro.")
    testo = str(motivo if motivo is not None else "").strip()
    if not testo:
        raise ErroreInput("Risigilla: scrivere nel riquadro il motivo del nuovo sigillo, che resta agli atti del "
                          "registro del Comune.")
    return _blocca(book, oggi, config, chiave, password, operatore, scelta, testo, inviati)


def _blocca(book, oggi, config, chiave, password, operatore, risigilla, motivo, inviati=None):
    from addin.casi.atti_registro import controlla_data_decisiva, leggi_atti
    from addin.casi.blocca import CHIAVI_BLOCCATE_COFIN, CHIAVI_BLOCCATE_SPESE, pianifica_blocco, registra_sigilli
    from addin.errors import ErroreChiave
    from addin.registro.atti import SIGILLO

    cfg = _cfg(config)
    oggi = oggi or today()
    chiave = chiave if chiave is not None else _chiave()
    if chiave is None:
        raise ErroreChiave("per bloccare le finestre serve la chiave del Comune: impostare sul server la "
                           "variabile d'ambiente RENDICONTA_CHIAVE_FILE (il file) o RENDICONTA_CHIAVE (il valore).")
    if password is None:
        password = os.environ.get("RENDICONTA_PASSWORD_PROTEZIONE") or None
    from addin.casi.referenti import controlla_referente

    grids: dict = {}
    cartella = leggi(book, cfg, grids, inviati)
    reg = registro()
    controlla_referente(reg, operatore, cartella.programma)
    with reg.scrittura(cartella.programma, cartella.anno, autore=operatore) as w:
        stato = leggi_atti(cartella.programma, cartella.anno, w.atti(SIGILLO))
        controlla_data_decisiva(stato, cfg)
        if risigilla is not None:
            from addin.casi.blocca import ambito_da_risigillare
            from addin.errors import ErroreInput

            if ambito_da_risigillare(risigilla) not in stato.sigilli:
                quale = "del cofinanziamento" if risigilla == "cofinanziamento" else f"della finestra {risigilla}"
                raise ErroreInput(f"Risigilla: nel registro del Comune non c'è ancora un sigillo {quale}: per "
                                  "sigillare la prima volta usare Blocca.")
        piano = pianifica_blocco(cartella, cfg, oggi, chiave, stato.sigilli, risigilla=risigilla, motivo=motivo)
        registra_sigilli(w, stato, piano, oggi, motivo, cfg.regole.data_decisiva)
    sigilli, nuovi = piano.sigilli, piano.nuovi
    if not sigilli:
        _esiti(book, cfg, oggi, chiave, grids, reg, cartella)
        avviso(book, f"Nessuna finestra è chiusa al {oggi:%d/%m/%Y}: non c'è nulla da bloccare.", "Blocca")
        return []
    righe_spese, righe_cofin = piano.righe()   # where the sealed rows are now, and the new seals' rows

    # the `_meta` copies of the register's seals, rewritten when missing, altered or superseded (as the CLI
    # does); written before the protection: if that fails, the task pane says so and a repeated Blocca
    # finds the seals in the register (none made again) and completes it
    stale = piano.copie_da_aggiornare(cartella.meta)
    if stale:
        scrivi(book, [_copie_meta(grids.get(schema.META) or [], stale)])

    def tabelle(nome):   # the Excel tables of a sheet the task pane read (None: xlwings sent the sheet)
        return None if inviati is None else inviati.tabelle.get(nome, [])

    fogli = [protezione_foglio(book.sheets[schema.SPESE], schema.SPESE_COLS, righe_spese, CHIAVI_BLOCCATE_SPESE,
                               password, grids.get(schema.SPESE), tabelle(schema.SPESE)),
             protezione_foglio(book.sheets[schema.COFINANZIAMENTO], schema.COFIN_COLS, righe_cofin,
                               CHIAVI_BLOCCATE_COFIN, password, grids.get(schema.COFINANZIAMENTO),
                               tabelle(schema.COFINANZIAMENTO))]
    proteggi(book, fogli)
    _esiti(book, cfg, oggi, chiave, grids, reg, cartella)
    esistenti = [s.etichetta for a, s in piano.esistenti.items() if a not in piano.risigillati]
    testo = (f"Sigilli nuovi: {', '.join(s.etichetta for s in nuovi) or 'nessuno'}"
             + (f" (sigillo rifatto: {motivo})" if piano.risigillati else "")
             + f"; già nel registro del Comune: {', '.join(esistenti) or 'nessuno'}.\n"
             f"Righe bloccate: {len(righe_spese)} di Spese, {len(righe_cofin)} di Cofinanziamento.")
    avvisi = [a.replace(f"Foglio «{schema.SPESE}», riga", "Spese, riga") for a in piano.avvisi]
    if avvisi:
        testo += "\nAttenzione, righe modificate dopo il blocco:\n" + "\n".join(avvisi[:20])
    avviso(book, testo, "Risigilla" if piano.risigillati else "Blocca")
    return nuovi


# --- consolida --------------------------------------------------------------------------------------

FOGLI_CONSOLIDATO = (schema.CONS_CRUSCOTTO, schema.CONS_PROGRAMMI, schema.CONS_AZIONI, schema.CONS_PARTNER,
                     schema.CONS_ANOMALIE, schema.CONS_TRANCHE, schema.CONS_SPESE, schema.META)


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
    # the uploads live in the server's temporary folders: the capofila's workbook names them by file name
    # (`_meta` file.N, Anomalie's «File», messages), never by a path of the server
    cartelle = sorted({str(Path(p).parent) + os.sep for p in paths}, key=len, reverse=True)

    def senza_cartelle(v: object) -> object:
        if isinstance(v, str):
            for c in cartelle:
                v = v.replace(c, "")
        return v

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
                righe.append([_json_cella(senza_cartelle(c.value)) for c in row])
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
