"""The Verifica report workbook: Esito, Sintesi, Campione, Osservazioni.

`tabelle_report(r)` builds plain rows (sheet name -> rows incl. header) that both the openpyxl writer
below and the xlwings add-in write. Values are str, int, Decimal, datetime.date or None.
Text taken from the checked workbook is always written as text, never as a formula.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import zipfile
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

from addin.output import scrivi_atomico
from addin.rules.models import Esito
from addin.rules.money import ZERO, fmt_eur, fmt_pct
from addin.workbook.schema import excel_serial

ESITO, SINTESI, CAMPIONE, OSSERVAZIONI, AVVISI = "Esito", "Sintesi", "Campione", "Osservazioni", "Avvisi"

# Layout of every sheet: a title line (what, programme, year, date) and, below it, the column header of
# the table (Sintesi is a sequence of sections, without one header). Writers, readers of the report
# (`rendiconta decisioni importa`) and tests take the positions from here.
RIGA_TITOLO = 1
RIGA_INTESTAZIONE = {ESITO: 2, CAMPIONE: 2, OSSERVAZIONI: 2, AVVISI: 2, SINTESI: 0}   # 1-based; 0: none

ESITO_HEADER = ["Riga", "Azione", "Partner", "Categoria", "Descrizione", "Fornitore/Percettore", "N. documento",
                "Data decisiva", "Finestra", "Importo rendicontato", "Esito", "Importo ammesso",
                "Importo non ammesso", "Codici motivi", "Motivi",
                # controller columns
                "In campione", "Importo decurtato", "Tipologia errore", "Commento del controllore",
                "Importo certificato"]

_ESITO_LABEL = {Esito.AMMESSA: "Ammessa", Esito.DA_INTEGRARE: "Da integrare", Esito.NON_AMMESSA: "Non ammessa",
                Esito.ESCLUSA: "Esclusa"}

_STATO_SIGILLI = {"verificati": "Sigilli verificati", "non_verificabili": "Sigilli presenti ma non verificabili "
                  "(chiave non fornita)", "assenti": "Nessun sigillo",
                  "non_disponibile": "Verifica dei sigilli non disponibile"}


def etichetta_esito(e: Esito) -> str:
    return _ESITO_LABEL[e]


def _group_totals(r, keyfn) -> list[list]:
    acc: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO, ZERO, 0])
    order: list[str] = []
    for s, e in zip(r.spese, r.esiti):
        k = keyfn(s)
        if k not in acc:
            order.append(k)
        a = acc[k]
        a[0] += e.importo
        a[1] += e.importo_ammesso
        a[2] += e.importo - e.importo_ammesso
        if e.esito is Esito.DA_INTEGRARE:
            a[3] += e.importo
        a[4] += 1
    return [[k, acc[k][4], acc[k][0], acc[k][1], acc[k][2], acc[k][3]] for k in sorted(order)]


def titolo(cosa: str, r) -> str:
    """A sheet's title line: what it holds, programme, year and reference date."""
    return f"{cosa} - Programma {r.programma}, anno {r.anno}, al {r.data_riferimento:%d/%m/%Y}"


def _tabella(nome: str, titolo_foglio: str, header: list, body: list[list]) -> list[list]:
    """Title line, then the header at RIGA_INTESTAZIONE[nome], then the body."""
    gap = RIGA_INTESTAZIONE[nome] - RIGA_TITOLO - 1
    return [[titolo_foglio], *([] for _ in range(gap)), header, *body]


def righe_tabella(rows: list[list], nome: str) -> list[list]:
    """A sheet's table without its title: the header row, then the body."""
    return rows[RIGA_INTESTAZIONE[nome] - 1:]


def tabelle_report(r) -> dict[str, list[list]]:
    cfg = r.cartella
    rows_camp = r.righe_campione()
    # --- Esito
    esito_rows: list[list] = []
    for s, e in zip(r.spese, r.esiti):
        non_amm = e.importo - e.importo_ammesso
        esito_rows.append([
            e.riga, s.azione, s.partner, s.categoria, s.descrizione, s.fornitore, s.numero_documento,
            e.data_decisiva, f"{e.finestra}/{r.anno}" if e.finestra else None, e.importo,
            etichetta_esito(e.esito), e.importo_ammesso, non_amm, ", ".join(dict.fromkeys(e.codici)) or None,
            e.testo_motivi() or None,
            "SI" if e.riga in rows_camp else "NO", non_amm,
            e.motivi[0].codice if e.motivi and non_amm > 0 else None, None, e.importo_ammesso])

    # --- Sintesi
    t = r.totali
    n = r.conteggi()
    sint: list[list] = [
        [titolo("Verifica del rendiconto", r)],
        ["Data di riferimento", r.data_riferimento],
        ["File", cfg.path and Path(cfg.path).name],
        ["Stato dei sigilli", _STATO_SIGILLI.get(r.sigilli.stato, r.sigilli.stato)],
    ]
    for d in r.sigilli.dettagli:
        sint.append(["", d])
    sint.append(["Registro del Comune", r.registro.riepilogo() if r.registro is not None
                 else "non consultato (verifica del solo file: sigilli e decisioni letti dal file)"])
    sint += [[], ["Totali", "Righe", "Importo"],
             ["Rendicontato", len(r.esiti), t["rendicontato"]],
             ["Ammesso", n[Esito.AMMESSA], t["ammesso"]],
             ["Non ammesso (totale)", None, t["non_ammesso"]],
             ["di cui esclusi", n[Esito.ESCLUSA], t["escluso"]],
             ["di cui da integrare", n[Esito.DA_INTEGRARE], t["da_integrare"]],
             ["Righe non ammesse", n[Esito.NON_AMMESSA], None]]
    head = ["Righe", "Rendicontato", "Ammesso", "Non ammesso", "di cui da integrare"]
    for title, fn in (("Per azione", lambda s: s.azione or "(mancante)"),
                      ("Per categoria", r.nome_categoria),
                      ("Per partner", lambda s: s.partner or "(mancante)")):
        sint += [[], [title, *head], *_group_totals(r, fn)]
    # amount not admitted by decisive reason (addin.rules.reductions: the CLI and the verbale show the same)
    ded = r.decurtazioni()
    if ded:
        sint += [[], ["Non ammesso per motivo (ogni riga sotto il suo motivo decisivo)", "Righe", "Non ammesso",
                      "di cui da integrare"]]
        for d in ded:
            sint.append([d.codice, d.righe, d.importo, d.da_integrare])
            for cat, amount in sorted(d.per_categoria.items()):
                sint.append([f"    {cat}", None, amount, None])
        sint.append(["Totale", sum(d.righe for d in ded), sum((d.importo for d in ded), ZERO),
                     sum((d.da_integrare for d in ded), ZERO)])
    # co-financing
    q = r.cofin_quota
    ct = r.cofin_totali
    level = r.config.cofinanziamento.livello_vincolante
    sint += [[], ["Cofinanziamento", "Importo"],
             ["Monetario realizzato (spesa ammessa meno contributo dovuto)", ct.monetario],
             ["Monetario dichiarato (righe «Monetario», solo per riscontro)", ct.monetario_dichiarato,
              "COFINANZIAMENTO_MONETARIO_INCOERENTE" if ct.monetario_incoerente else None],
             ["Non monetario", ct.non_monetario],
             [f"Volontariato (tariffa oraria massima {fmt_eur(r.tariffa.valore)}: {r.tariffa.fonte})", ct.volontariato],
             ["Totale cofinanziamento", q.cofinanziamento], ["Base di calcolo", q.base],
             ["Quota realizzata", fmt_pct(q.quota)], ["Minimo richiesto", q.minimo],
             ["Quota minima rispettata", "SI" if q.rispettato else f"NO: mancano {fmt_eur(q.mancante)}"
              + (" (indicativa: vincolante a livello di ATS a fine anno)" if level == "ats" else "")]]
    # tranches and balance
    liq = r.liquidazione
    sint += [[], ["Piano delle tranche", "Quota", "Scadenza", "Importo"]]
    for p in r.piano:
        sint.append([f"Tranche {p.numero} - {p.descrizione}", fmt_pct(p.quota), p.scadenza, p.importo])
    sint += [["Contributo comunale previsto", None, None, liq.contributo_previsto],
             ["Valore previsto del programma", None, None, liq.valore_previsto],
             ["Valore realizzato (spese ammesse + cofinanziamento valorizzato)", None, None, liq.valore_realizzato],
             ["Percentuale di realizzazione", fmt_pct(liq.percentuale_realizzazione), None, None],
             ["Contributo dovuto (mai oltre la spesa ammessa)", None, None, liq.contributo_finale],
             ["Anticipi (tranche 1 e 2)", None, None, liq.anticipi],
             ["Saldo (negativo: da recuperare)", None, None, liq.saldo]]
    if r.pagamenti is not None:    # payments made, from the Comune's register
        sint += [[], ["Pagamenti effettuati (registro)", "Scadenza", "Previsto", "Pagato", "Da pagare", "Stato"]]
        for t in r.pagamenti.tranche:
            sint.append([f"Tranche {t.numero} - {t.descrizione}", t.scadenza, t.previsto, t.pagato, t.da_pagare,
                         t.stato])
        if r.pagamenti.saldo is not None:
            sint.append(["Saldo: contributo dovuto − pagamenti (negativo: da recuperare)", None, None, None,
                         r.pagamenti.saldo])
    # windows
    sint += [[], ["Finestre rendicontative", "Dal", "Al", "Blocco", "Stato"]]
    for f in r.finestre:
        sint.append([f"Finestra {f.etichetta}", f.inizio, f.fine, f.blocco, f.stato(r.data_riferimento)])
    # budget use
    if r.uso_budget:
        names = {c.codice: c.nome for c in r.config.categorie}
        sint += [[], ["Uso del budget (azione e categoria)", "Budget attuale", "Rendicontato", "Ammesso",
                      "Residuo", "Superato"]]
        for u in r.uso_budget:
            sint.append([f"{u.azione} - {names.get(u.categoria, u.categoria)}", u.budget, u.rendicontato,
                         u.ammesso, u.residuo, "SI" if u.superato else "NO"])
    sint += [[], ["Termine per le osservazioni dell'ATS", r.scadenza_osservazioni]]
    if r.scadenza_provvisoria:
        sint.append(["", "Provvisorio: nessun avviso all'ATS registrato (rendiconta avviso); calcolato dalla "
                         "data di riferimento."])

    # --- Campione
    camp: list[list] = []
    for c in r.campioni:
        head = [f"{c.semestre}/{c.anno}", c.seme, c.descrizione_seme(), c.persone, c.dimensione]
        if not c.estratti:
            camp.append(head + [None, None])
        for p in c.estratti:
            camp.append(head + [p, ", ".join(str(x) for x in c.righe[p])])

    # --- Osservazioni
    oss: list[list] = []
    for s, e in r.respinte():
        oss.append([e.riga, s.partner, s.azione, s.categoria, s.descrizione, e.importo,
                    e.importo - e.importo_ammesso, etichetta_esito(e.esito), e.testo_motivi(),
                    r.scadenza_osservazioni, None])

    out = {ESITO: _tabella(ESITO, titolo("Esito delle righe di spesa", r), ESITO_HEADER, esito_rows),
           SINTESI: sint,
           CAMPIONE: _tabella(CAMPIONE, titolo("Campione delle persone da controllare", r),
                              ["Semestre", "Seme", "Origine del seme", "Persone nel semestre", "Estratte", "Persona",
                               "Righe"], camp),
           OSSERVAZIONI: _tabella(OSSERVAZIONI, titolo("Spese non ammesse", r) + ": l'ATS può presentare "
                                  f"osservazioni entro il {r.scadenza_osservazioni:%d/%m/%Y}",
                                  ["Riga", "Partner", "Azione", "Categoria", "Descrizione", "Importo rendicontato",
                                   "Importo non ammesso", "Esito", "Motivi", "Termine osservazioni",
                                   "Osservazioni dell'ATS"], oss)}
    if r.avvisi:
        out[AVVISI] = _tabella(AVVISI, titolo("Avvisi", r), ["Avviso"], [[a] for a in r.avvisi])
    return out


def intestazione(r) -> str:
    """The line that names what a printed page belongs to."""
    return (f"Comune di Crema - Verifica del rendiconto: programma {r.programma}, anno {r.anno}, "
            f"al {r.data_riferimento:%d/%m/%Y}")


# --- writer ----------------------------------------------------------------------------------
# Esito: codes (up to 29 characters) never break; "Non ammessa" and document numbers fit
_WIDTHS = {ESITO: [7, 8, 21, 22, 29, 22, 19, 11, 9, 13, 13, 13, 13, 34, 46, 9, 12, 34, 22, 13],
           SINTESI: [62, 15, 15, 15, 15, 15, 10], CAMPIONE: [10, 16, 36, 12, 10, 26, 40],
           OSSERVAZIONI: [6, 18, 7, 18, 26, 13, 13, 13, 48, 12, 28], AVVISI: [120]}
# text columns that wrap (0-based), so that long reasons and descriptions are read in full
_WRAP_COLS = {ESITO: {2, 3, 4, 5, 6, 13, 14, 17, 18}, OSSERVAZIONI: {1, 3, 4, 8, 10}, CAMPIONE: {2, 5, 6},
              SINTESI: {0}, AVVISI: {0}}
# printing: (pages across, columns repeated on each page); Esito's 20 columns print on two pages
# across with the row number repeated, the others fit the page width. A sheet printed across pages
# prints from its header row: its title line would be cut at the repeated column of the following
# pages, and the page header carries the same words (intestazione).
_PRINT = {ESITO: (2, "$A:$A")}
_SEZIONI = {"Totali", "Per azione", "Per categoria", "Per partner",
            "Non ammesso per motivo (ogni riga sotto il suo motivo decisivo)",
            "Cofinanziamento", "Piano delle tranche", "Finestre rendicontative",
            "Uso del budget (azione e categoria)"}


_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

# styles.xml cellXfs indexes
_ST_MONEY, _ST_DATE, _ST_HEAD, _ST_WRAP, _ST_TITLE, _ST_TOP, _ST_RIGHT = 1, 2, 3, 4, 5, 6, 9
# a percentage written as Italian text (money.fmt_pct: "10,91%") is aligned as the figures around it
_PCT = re.compile(r"-?\d[\d.]*(?:,\d+)?\s?%")
# text after the first column is indented a little: it never touches a right-aligned amount
_INDENTED = {_ST_WRAP: 7, _ST_TOP: 8}
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="#,##0.00"/>'
    '<numFmt numFmtId="165" formatCode="dd/mm/yyyy"/></numFmts>'
    '<fonts count="3"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="13"/><name val="Calibri"/></font>'
    '</fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/></patternFill></fill>'
    '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="10"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyAlignment="1">'
    '<alignment vertical="top"/></xf>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyAlignment="1">'
    '<alignment vertical="top"/></xf>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1" '
    'applyAlignment="1"><alignment wrapText="1" vertical="top"/></xf>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
    '<alignment wrapText="1" vertical="top"/></xf>'
    '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
    '<alignment vertical="top"/></xf>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
    '<alignment horizontal="left" wrapText="1" vertical="top" indent="1"/></xf>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
    '<alignment horizontal="left" vertical="top" indent="1"/></xf>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyAlignment="1">'
    '<alignment horizontal="right" vertical="top"/></xf></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>')


_LINE_PT = 15  # one line of 11 pt Calibri


@functools.lru_cache(maxsize=1 << 16)     # reasons and descriptions repeat across thousands of rows
def righe_testo(text: str, width: float) -> int:
    """Lines a text takes wrapped in a column `width` characters wide (greedy by words, on the safe side:
    an average character is narrower than the '0' Excel measures widths with, capitals are wider)."""
    if len(text) <= width * 0.9 and "\n" not in text:
        return 1
    cap = max(1, int(width * 1.05) - 1)
    n = 0
    for para in text.split("\n"):
        line = 0
        n += 1
        for word in para.split():
            size = len(word) + sum(c.isupper() for c in word) * 0.3
            if line and line + 1 + size > cap:
                n += 1
                line = 0
            while size > cap:  # a word longer than the column breaks anywhere
                n += 1
                size -= cap
            line += size + (1 if line else 0)
    return min(n, 40)


def _safe_text(value: str) -> str:
    value = _ILLEGAL.sub("", value)
    return value[:32767]


def _col(i: int) -> str:
    out = ""
    i += 1
    while i:
        i, rem = divmod(i - 1, 26)
        out = chr(65 + rem) + out
    return out


def _sheet_xml(name: str, rows: list[list], intestazione: str = "") -> str:
    """One worksheet. Strings are inline strings (t="inlineStr"): never formulas, whatever they start with.
    `intestazione` (programme, year, date) is printed at the top of every page."""
    hdr = RIGA_INTESTAZIONE.get(name, 0)
    widths = _WIDTHS.get(name, [])
    width = max((len(r) for r in rows), default=1)
    letters = [_col(i) for i in range(max(width, len(widths), 1))]
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet '
           'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
           'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">',
           '<sheetPr><pageSetUpPr fitToPage="1"/></sheetPr>',
           f'<dimension ref="A1:{letters[width - 1]}{max(len(rows), 1)}"/>']
    if hdr:
        out.append(f'<sheetViews><sheetView workbookViewId="0"><pane ySplit="{hdr}" topLeftCell="A{hdr + 1}" '
                   'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>')
    if widths:
        out.append("<cols>" + "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                                      for i, w in enumerate(widths, start=1)) + "</cols>")
    out.append("<sheetData>")
    wrap_cols = _WRAP_COLS.get(name, set())
    append = out.append
    for ri, row in enumerate(rows, start=1):
        head = ri == hdr or (name == SINTESI and bool(row) and row[0] in _SEZIONI)
        cells = []
        add = cells.append
        for ci, v in enumerate(row):
            if v is None:
                continue
            tv = type(v)
            if tv is bool:
                v, tv = ("SI" if v else "NO"), str
            if tv is str:
                if not (v.isascii() and v.isprintable()):
                    v = _safe_text(v)
                t = escape(v) if ("&" in v or "<" in v or ">" in v) else v
                if len(t) > 32767:
                    t = t[:32767]
                st = (_ST_TITLE if ri == RIGA_TITOLO else _ST_HEAD if head
                      else _ST_WRAP if ci in wrap_cols else _ST_TOP)
                if ci:
                    st = _ST_RIGHT if st == _ST_TOP and _PCT.fullmatch(v) else _INDENTED.get(st, st)
                add(f'<c r="{letters[ci]}{ri}" s="{st}" t="inlineStr"><is><t xml:space="preserve">{t}</t></is></c>')
            elif tv is Decimal:
                add(f'<c r="{letters[ci]}{ri}" s="{_ST_HEAD if head else _ST_MONEY}"><v>{v:f}</v></c>')
            elif tv is int or tv is float:
                if head:
                    add(f'<c r="{letters[ci]}{ri}" s="{_ST_HEAD}"><v>{v}</v></c>')
                else:
                    add(f'<c r="{letters[ci]}{ri}" s="{_ST_TOP}"><v>{v}</v></c>')
            elif isinstance(v, dt.date):
                add(f'<c r="{letters[ci]}{ri}" s="{_ST_DATE}"><v>{excel_serial(v)}</v></c>')
            else:
                add(f'<c r="{letters[ci]}{ri}" t="inlineStr"><is><t xml:space="preserve">'
                    f'{escape(_safe_text(str(v)))}</t></is></c>')
        lines = 1 if ri == RIGA_TITOLO else max(      # the title is one line, overflowing to the right
            (righe_testo(row[ci], widths[ci]) for ci in wrap_cols | ({*range(len(row))} if head else set())
             if ci < len(row) and ci < len(widths) and type(row[ci]) is str), default=1)
        if lines > 1:  # neither LibreOffice nor every Excel fits wrapped rows by itself
            append(f'<row r="{ri}" ht="{lines * _LINE_PT + 2}" customHeight="1">{"".join(cells)}</row>')
        else:
            append(f'<row r="{ri}">{"".join(cells)}</row>')
    out.append("</sheetData>")
    if hdr and len(rows) > hdr and name != AVVISI:
        out.append(f'<autoFilter ref="A{hdr}:{letters[width - 1]}{len(rows)}"/>')
    # printed for the file: A4 landscape, as wide as the page, header row repeated (Print_Titles),
    # sheet name and page numbers in the footer
    across = _PRINT.get(name, (1, ""))[0]
    order = ' pageOrder="overThenDown"' if across > 1 else ""
    out.append('<pageMargins left="0.4" right="0.4" top="0.7" bottom="0.6" header="0.3" footer="0.3"/>'
               f'<pageSetup paperSize="9" orientation="landscape" fitToWidth="{across}" fitToHeight="0"{order}/>'
               f'<headerFooter><oddHeader>&amp;L{escape(_hf(intestazione))}&amp;R&amp;A</oddHeader>'
               '<oddFooter>&amp;L&amp;F&amp;RPagina &amp;P di &amp;N</oddFooter></headerFooter>')
    out.append("</worksheet>")
    return "".join(out)


def _hf(text: str) -> str:
    """Literal text for a header/footer: '&' starts a code there, so it is doubled."""
    return _safe_text(text).replace("&", "&&")[:200]


def _print_names(tables: dict[str, list[list]]) -> str:
    """Defined names repeating each sheet's header row (and, for wide sheets, its first column) on every
    printed page; the print area of a sheet printed across pages, from its header row (see _PRINT)."""
    def titles(n: str) -> str:
        ref = [f"'{escape(n)}'!{_PRINT[n][1]}"] if n in _PRINT else []
        h = RIGA_INTESTAZIONE[n]
        return ",".join(ref + [f"'{escape(n)}'!${h}:${h}"])

    defs = []
    for i, (n, rows) in enumerate(tables.items()):
        h = RIGA_INTESTAZIONE.get(n)
        if not h:
            continue
        if n in _PRINT:
            last_col = _col(max(len(r) for r in rows) - 1)
            defs.append(f'<definedName name="_xlnm.Print_Area" localSheetId="{i}">'
                        f"'{escape(n)}'!$A${h}:${last_col}${max(len(rows), h)}</definedName>")
        defs.append(f'<definedName name="_xlnm.Print_Titles" localSheetId="{i}">{titles(n)}</definedName>')
    return f"<definedNames>{''.join(defs)}</definedNames>" if defs else ""


def _workbook_parts(tables: dict[str, list[list]], intestazione: str = "") -> dict[str, str]:
    names = list(tables)
    ct = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
          '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Default Extension="xml" ContentType="application/xml"/>'
          '<Override PartName="/xl/workbook.xml" '
          'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
          '<Override PartName="/xl/styles.xml" '
          'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
          + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
                    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                    for i in range(1, len(names) + 1)) + "</Types>")
    rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="xl/workbook.xml"/></Relationships>')
    wb = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
          '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
          'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
          + "".join(f'<sheet name="{escape(n)}" sheetId="{i}" r:id="rId{i}"/>' for i, n in enumerate(names, 1))
          + "</sheets>" + _print_names(tables) + "</workbook>")
    wbrels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
              + "".join(f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                        f'relationships/worksheet" Target="worksheets/sheet{i}.xml"/>'
                        for i in range(1, len(names) + 1))
              + f'<Relationship Id="rId{len(names) + 1}" Type="http://schemas.openxmlformats.org/officeDocument/'
                '2006/relationships/styles" Target="styles.xml"/></Relationships>')
    parts = {"[Content_Types].xml": ct, "_rels/.rels": rels, "xl/workbook.xml": wb,
             "xl/_rels/workbook.xml.rels": wbrels, "xl/styles.xml": _STYLES}
    for i, n in enumerate(names, start=1):
        parts[f"xl/worksheets/sheet{i}.xml"] = _sheet_xml(n, tables[n], intestazione)
    return parts


def scrivi_report(r, path: str | Path) -> Path:
    """Write the report atomically with the umask's permissions (addin.output). A small dedicated xlsx
    writer: the report has plain values and a few styles, and openpyxl took ~10x longer on 10,000 rows."""
    parts = _workbook_parts(tabelle_report(r), intestazione(r))

    def write(tmp: Path) -> None:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
            for n, text in parts.items():
                zf.writestr(n, text.encode("utf-8"))

    return scrivi_atomico(path, write, "il report")


__all__ = ["tabelle_report", "scrivi_report", "etichetta_esito", "ESITO_HEADER", "RIGA_INTESTAZIONE", "RIGA_TITOLO",
           "righe_tabella", "titolo"]
