"""Writer of the three-year consolidation workbook (openpyxl): Triennio, Tranche, Variazioni,
Doppi finanziamenti, Anomalie and the hidden `_meta`. Written atomically."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from openpyxl import Workbook
from openpyxl.styles import Alignment, PatternFill
from openpyxl.utils import get_column_letter

from addin.config.models import Config
from addin.errors import ErroreOutput
from addin.output import scrivi_atomico
from addin.rules.money import fmt_eur
from addin.workbook import schema as S
from addin.workbook.consolidation import (_ATS_FILL, _BOLD, FIRST_DATA_ROW, HEADER_ROW, _LATE_FILL, _head, _put,
                                        foglio_tranche)

if TYPE_CHECKING:
    from addin.casi.triennio import ProgrammaTriennio, RisultatoTriennio

SHEET_TRIENNIO = "Triennio"
SHEET_TRANCHE = "Tranche"
SHEET_VARIAZIONI = "Variazioni"
SHEET_DOPPI = "Doppi finanziamenti"
SHEET_ANOMALIE = "Anomalie"
TIPO_TRIENNIO = "triennio"          # value of META_TIPO
_CUM_FILL = PatternFill("solid", fgColor="E2EFDA")
_GENERATOR = "rendiconta (triennio)"

TRIENNIO_COLS = [("Programma", 11), ("Anno", 14), ("Budget comunale approvato", 16), ("Budget cofin. approvato", 16),
                 ("Budget totale", 16), ("Ammesso", 16), ("Cofinanziamento realizzato", 16),
                 ("Quota cofinanziamento", 12), ("Contributo", 16), ("Contributo definitivo", 11), ("Pagato", 16),
                 ("Da pagare", 16), ("Da recuperare", 16), ("Recuperato per compensazione", 16)]


def righe_triennio(pt: ProgrammaTriennio) -> list[list[tuple[object, str]]]:
    """The rows of one programme (or the ATS) in the Triennio sheet and in the reports: years, cumulative."""
    out = []
    for d in pt.anni + [pt.cumulato]:
        final = pt.definitivo.get(d.anno) if d.anno is not None else all(pt.definitivo.values())
        out.append([(pt.codice, "text"), (str(d.anno) if d.anno is not None else "Totale triennio", "text"),
                    (d.budget_comunale, "money"), (d.budget_cofin, "money"), (d.budget_totale, "money"),
                    (d.ammesso, "money"), (d.cofinanziamento, "money"), (d.quota_cofinanziamento, "pct"),
                    (d.contributo, "money"), (S.SI if final else S.NO, "text"), (d.pagato, "money"),
                    (d.da_pagare, "money"), (d.da_recuperare, "money"), (d.recuperato, "money")])
    return out


def _triennio(wb: Workbook, r: RisultatoTriennio) -> None:
    ws = wb.active
    ws.title = SHEET_TRIENNIO
    years = ", ".join(str(y) for y in r.anni) or "nessuno"
    _head(ws, f"Triennio: programmi e ATS per anno e cumulato (anni {years})",
          f"Data di riferimento {r.data_riferimento:%d/%m/%Y}. Budget approvato = configurato + variazioni "
          "approvate dalla Cabina di regia (registro). Il contributo è definitivo dopo il blocco dell'ultima "
          "finestra dell'anno; prima è il budget comunale approvato e nulla è da recuperare. Pagato: pagamenti "
          "registrati dal Comune.", TRIENNIO_COLS)
    n = FIRST_DATA_ROW
    for pt in r.programmi + [r.ats]:
        for vals in righe_triennio(pt):
            cumulative = vals[1][0] == "Totale triennio"
            for j, (v, kind) in enumerate(vals, start=1):
                c = _put(ws, n, j, v, kind)
                if pt.programma is None or cumulative:
                    c.font = _BOLD
                    c.fill = _ATS_FILL if pt.programma is None else _CUM_FILL
            n += 1


def _tranche(wb: Workbook, r: RisultatoTriennio) -> None:
    foglio_tranche(wb.create_sheet(SHEET_TRANCHE), r.pagamenti)


def _variazioni(wb: Workbook, r: RisultatoTriennio, config: Config) -> None:
    ws = wb.create_sheet(SHEET_VARIAZIONI)
    cols = [("Programma", 11), ("Anno", 8), ("Azione", 9), ("Categoria", 46), ("Comunale iniziale", 15),
            ("Variazioni approvate comunale", 15), ("Comunale approvato", 15), ("Comunale proposto dal partner", 15),
            ("Differenza comunale", 15), ("Cofin. iniziale", 15), ("Variazioni approvate cofin.", 15),
            ("Cofin. approvato", 15), ("Cofin. proposto", 15), ("Differenza cofin.", 15),
            ("Proposta non approvata", 11), ("Ammesso", 15), ("Oltre il budget approvato", 11)]
    _head(ws, "Budget per azione e categoria: approvato e proposte",
          "Approvato = iniziale (foglio Budget) + variazioni approvate dalla Cabina di regia (registro). "
          "Proposto = quanto il partner ha scritto come budget attuale nel foglio Budget. Il controllo del "
          "budget confronta l'ammesso con l'approvato.", cols)
    names = {c.codice: c.nome for c in config.categorie}
    n = FIRST_DATA_ROW
    for (prog, anno), voci in sorted(r.budget.items()):
        for v in voci:
            vals = [(f"P{prog}", "text"), (anno, "int"), (v.azione, "text"), (names.get(v.categoria, v.categoria), "text"),
                    (v.comunale_iniziale, "money"), (v.comunale_variazioni, "money"), (v.comunale_attuale, "money"),
                    (v.comunale_proposto, "money"), (v.differenza_comunale, "money"), (v.cofin_iniziale, "money"),
                    (v.cofin_variazioni, "money"), (v.cofin_attuale, "money"), (v.cofin_proposto, "money"),
                    (v.differenza_cofin, "money"), (S.SI if v.proposta_non_approvata else "", "text")]
            u = r.uso_budget.get((prog, anno), {}).get((v.azione, v.categoria))
            vals += [(u.ammesso if u else None, "money"), (S.SI if u and u.superato else "", "text")]
            for j, (x, kind) in enumerate(vals, start=1):
                c = _put(ws, n, j, x, kind)
                if v.proposta_non_approvata:
                    c.fill = _LATE_FILL
            n += 1
        # spending on an action × category without any budget line: over its (zero) budget
        listed = {(v.azione, v.categoria) for v in voci}
        for (azione, cat), u in sorted(r.uso_budget.get((prog, anno), {}).items()):
            if (azione, cat) not in listed and u.ammesso:
                for j, (x, kind) in ((1, (f"P{prog}", "text")), (2, (anno, "int")), (3, (azione, "text")),
                                     (4, (names.get(cat, cat), "text")), (16, (u.ammesso, "money")),
                                     (17, (S.SI, "text"))):
                    _put(ws, n, j, x, kind).fill = _LATE_FILL
                n += 1
    if n > FIRST_DATA_ROW:
        ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(cols))}{n - 1}"


def _doppi(wb: Workbook, r: RisultatoTriennio) -> None:
    ws = wb.create_sheet(SHEET_DOPPI)
    cols = [("N.", 6), ("Tipo", 12), ("Eccedenza ammessa", 15), ("Luoghi (anno, programma, file, riga)", 50),
            ("Descrizione", 90)]
    _head(ws, "Doppio finanziamento tra anni diversi",
          "Documenti rendicontati in più anni oltre il 100% del loro importo; persone oltre il tempo pieno "
          "nello stesso mese nei rendiconti di anni diversi. Segnalati, non tagliati: decide il Comune.", cols)
    rows = [("Documento", d) for d in r.doppi_documenti] + [("Persona", d) for d in r.doppie_persone]
    for i, (kind, d) in enumerate(rows):
        n = FIRST_DATA_ROW + i
        where = "; ".join(f"{a} P{p} {f} riga {row}" for a, p, f, row in d.luoghi)
        for j, (v, k) in enumerate([(i + 1, "int"), (kind, "text"), (d.eccedenza, "money"), (where, "text"),
                                    (d.descrizione, "text")], start=1):
            c = _put(ws, n, j, v, k)
            if j >= 4:
                c.alignment = Alignment(wrap_text=True, vertical="top")


def _anomalie(wb: Workbook, r: RisultatoTriennio) -> None:
    ws = wb.create_sheet(SHEET_ANOMALIE)
    cols = [("Anno", 8), ("Tipo", 28), ("Gravità", 13), ("Programma", 11), ("File", 30), ("Riga", 7),
            ("Descrizione", 90)]
    _head(ws, "Anomalie dei consolidati annuali e dei file", "Le anomalie di ogni anno (vedere anche il "
          "consolidato annuale) e i file non leggibili o fuori dal periodo.", cols)
    n = FIRST_DATA_ROW
    rows: list[tuple] = [(None, "File non leggibile", "Bloccante", None, e.path, None, e.messaggio) for e in r.errori]
    rows += [(None, "Anno fuori dalla co-progettazione", "Bloccante", None, f, None,
              "File di un anno fuori dal periodo della co-progettazione: non consolidato.") for f in r.esclusi]
    for y, res in r.anni.items():
        rows += [(y, a.tipo, a.gravita, a.programma, a.file, a.riga, a.descrizione) for a in res.anomalie]
    for anno, tipo, grav, prog, file, riga, desc in rows:
        vals = [(anno, "int"), (tipo, "text"), (grav, "text"), (f"P{prog}" if prog is not None else "", "text"),
                (Path(file).name if file else "", "text"), (riga, "int"), (desc, "text")]
        for j, (v, k) in enumerate(vals, start=1):
            c = _put(ws, n, j, v, k)
            if j == len(vals):
                c.alignment = Alignment(wrap_text=True, vertical="top")
        n += 1


def _meta(wb: Workbook, r: RisultatoTriennio) -> None:
    ws = wb.create_sheet(S.META)
    rows = [("chiave", "valore"), (S.META_ANNO, ",".join(str(y) for y in r.anni)),
            (S.META_VERSIONE, S.SCHEMA_VERSION), (S.META_TIPO, TIPO_TRIENNIO), (S.META_GENERATORE, _GENERATOR),
            ("data_riferimento", r.data_riferimento.isoformat())]
    for i, (k, v) in enumerate(rows, start=1):
        _put(ws, i, 1, k)
        _put(ws, i, 2, v)
    ws.sheet_state = "hidden"


def build_triennio_workbook(r: RisultatoTriennio, config: Config) -> Workbook:
    wb = Workbook()
    _triennio(wb, r)
    _tranche(wb, r)
    _variazioni(wb, r, config)
    _doppi(wb, r)
    _anomalie(wb, r)
    _meta(wb, r)
    wb.active = 0
    return wb


def salva_atomico(wb: Workbook, path: str | Path) -> Path:
    """Save an openpyxl workbook atomically (.xlsx only)."""
    dest = Path(path)
    if dest.suffix.lower() != ".xlsx":
        raise ErroreOutput(f"il file di uscita «{dest.name}» deve avere estensione .xlsx.")
    return scrivi_atomico(dest, wb.save, "la cartella di lavoro")


def scrivi_triennio(r: RisultatoTriennio, path: str | Path, config: Config) -> Path:
    return salva_atomico(build_triennio_workbook(r, config), path)
