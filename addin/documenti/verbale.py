"""The verbale di verifica: the document a Comune officer files after a check, as PDF/A-2b.

`righe_verbale(r)` lays the verbale out as a list of blocks (title, key/value lines, tables) from a
RisultatoVerifica; `scrivi_verbale(r, dest)` writes them on one A4 portrait sheet (openpyxl: widths,
wrapped text with row heights, repeated page header, page numbers) and exports it with LibreOffice's
PDF/A-2b exporter (addin.documenti.pdfa). Every amount and date is written as Italian text
(1.234,56 €, 15/10/2026), so the printed figures do not depend on the machine's locale.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from dataclasses import dataclass
from pathlib import Path

from addin.rules.models import Esito
from addin.rules.money import ZERO, fmt_eur, fmt_pct

# column widths (characters) of the A4 portrait grid; a cell may span several columns
WIDTHS = [7, 33, 14, 14, 14, 36]
_LINE_PT = 14.5      # one line of 10.5 pt text
_FONT = "Liberation Sans"

_ESITI = {Esito.AMMESSA: "Ammessa", Esito.DA_INTEGRARE: "Da integrare", Esito.NON_AMMESSA: "Non ammessa",
          Esito.ESCLUSA: "Esclusa"}
_SIGILLI = {"verificati": "sigilli verificati con la chiave del Comune",
            "non_verificabili": "sigilli presenti ma non verificabili (chiave non fornita)",
            "assenti": "nessun sigillo nel file", "non_disponibile": "verifica dei sigilli non disponibile"}


@dataclass
class Cella:
    testo: str
    span: int = 1
    destra: bool = False      # numbers and amounts


@dataclass
class Riga:
    celle: list[Cella]
    stile: str = "testo"      # titolo | sottotitolo | sezione | intestazione | testo | totale | nota


def _d(v: dt.date | dt.datetime | None) -> str:
    if v is None:
        return ""
    if isinstance(v, dt.datetime):
        return f"{v:%d/%m/%Y %H:%M}"
    return f"{v:%d/%m/%Y}"


def _kv(label: str, value: str) -> Riga:
    return Riga([Cella(label, 2), Cella(value, 4)])


def _section(title: str) -> list[Riga]:
    return [Riga([Cella("", 6)], "spazio"), Riga([Cella(title, 6)], "sezione")]


def righe_verbale(r) -> list[Riga]:
    """The verbale's content, block after block."""
    cfg = r.config
    prog = cfg.programma(r.programma)
    out: list[Riga] = [
        Riga([Cella("Comune di Crema", 6)], "sottotitolo"),
        Riga([Cella("Verbale di verifica del rendiconto", 6)], "titolo"),
        Riga([Cella(f"Co-progettazione 2026-2028 con l'ATS {cfg.ats}: programma {r.programma} "
                    f"«{prog.nome}», anno {r.anno}", 6)], "nota"),
    ]
    out += _section("Oggetto della verifica")
    out += [_kv("Programma", f"{r.programma} - {prog.nome}"), _kv("Anno di rendicontazione", str(r.anno)),
            _kv("Data di riferimento", _d(r.data_riferimento))]
    path = getattr(r.cartella, "path", None)
    out.append(_kv("File verificato", Path(path).name if path else "(non indicato)"))
    dati = r.sha256 is None and r.sha256_dati
    if dati:   # the add-in: Excel sends the sheets' values, not the file's bytes
        out.append(_kv("Impronta SHA-256 dei dati verificati", dati))
        out.append(Riga([Cella("", 2), Cella("Verifica dal componente aggiuntivo di Excel: impronta dei valori dei "
                                             "fogli letti (Spese, Cofinanziamento, Budget, _meta), non dei byte "
                                             "del file.", 4)], "nota"))
    else:
        out.append(_kv("Impronta SHA-256 del file", r.sha256 or "(non calcolata)"))
    ric = r.ricezione
    if ric is not None:
        same = r.sha256 is not None and ric.sha256.lower() == r.sha256.lower()
        out.append(_kv("Ricezione nel registro", f"protocollo {ric.protocollo} del {_d(ric.data)}"
                       + (f", da {ric.mittente}" if ric.mittente else "")))
        out.append(_kv("Impronta registrata", ric.sha256 + (
            "" if same else " (non confrontabile con i dati letti da Excel)" if dati else
            " - DIVERSA dall'impronta del file verificato")))
    else:
        out.append(_kv("Ricezione nel registro", "non registrata"))
    out.append(_kv("Sigilli", _SIGILLI.get(r.sigilli.stato, r.sigilli.stato)))
    for d in r.sigilli.dettagli:
        out.append(Riga([Cella("", 2), Cella(d, 4)], "nota"))

    # totals by outcome
    out += _section("Esito delle spese rendicontate")
    out.append(Riga([Cella("Esito", 2), Cella("Righe", destra=True), Cella("Rendicontato", destra=True),
                     Cella("Ammesso", destra=True), Cella("Non ammesso", destra=True)], "intestazione"))
    n = r.conteggi()
    for e in Esito:
        rows = [x for x in r.esiti if x.esito is e]
        rep = sum((x.importo for x in rows), ZERO)
        adm = sum((x.importo_ammesso for x in rows), ZERO)
        out.append(Riga([Cella(_ESITI[e], 2), Cella(str(n[e]), destra=True), Cella(fmt_eur(rep), destra=True),
                         Cella(fmt_eur(adm), destra=True), Cella(fmt_eur(rep - adm), destra=True)]))
    t = r.totali
    out.append(Riga([Cella("Totale", 2), Cella(str(len(r.esiti)), destra=True),
                     Cella(fmt_eur(t["rendicontato"]), destra=True), Cella(fmt_eur(t["ammesso"]), destra=True),
                     Cella(fmt_eur(t["non_ammesso"]), destra=True)], "totale"))

    # not admitted by decisive reason (the same figures as the CLI and the report)
    ded = r.decurtazioni()
    if ded:
        out += _section("Importo non ammesso per motivo")
        out.append(Riga([Cella("Ogni riga è contata una volta, sotto il suo motivo decisivo (non ammessa, poi "
                               "esclusa, poi da integrare, poi riduzione).", 6)], "nota"))
        out.append(Riga([Cella("Motivo", 2), Cella("Righe", destra=True), Cella("Non ammesso", destra=True),
                         Cella("di cui da integrare", destra=True), Cella("Significato")], "intestazione"))
        for d in ded:
            out.append(Riga([Cella(d.codice, 2), Cella(str(d.righe), destra=True), Cella(fmt_eur(d.importo), destra=True),
                             Cella(fmt_eur(d.da_integrare), destra=True), Cella(d.descrizione)]))
        out.append(Riga([Cella("Totale", 2), Cella(str(sum(d.righe for d in ded)), destra=True),
                         Cella(fmt_eur(sum((d.importo for d in ded), ZERO)), destra=True),
                         Cella(fmt_eur(sum((d.da_integrare for d in ded), ZERO)), destra=True), Cella("")],
                        "totale"))
        # by category
        cats: dict[str, list] = {}
        for s, e in zip(r.spese, r.esiti):
            c = cats.setdefault(r.nome_categoria(s), [0, ZERO, ZERO])
            c[0] += 1
            c[1] += e.importo
            c[2] += e.importo_ammesso
        out += _section("Spese per categoria")
        out.append(Riga([Cella("Categoria", 2), Cella("Righe", destra=True), Cella("Rendicontato", destra=True),
                         Cella("Ammesso", destra=True), Cella("Non ammesso", destra=True)], "intestazione"))
        for name, (k, rep, adm) in sorted(cats.items()):
            out.append(Riga([Cella(name, 2), Cella(str(k), destra=True), Cella(fmt_eur(rep), destra=True),
                             Cella(fmt_eur(adm), destra=True), Cella(fmt_eur(rep - adm), destra=True)]))

    # co-financing
    q, ct = r.cofin_quota, r.cofin_totali
    out += _section("Cofinanziamento")
    for label, v in (("Monetario realizzato (spese ammesse meno contributo dovuto)", ct.monetario),
                     ("Monetario dichiarato (righe «Monetario», solo riscontro)"
                      + (": COFINANZIAMENTO_MONETARIO_INCOERENTE" if ct.monetario_incoerente else ""),
                      ct.monetario_dichiarato),
                     ("Non monetario", ct.non_monetario),
                     (f"Volontariato (tariffa oraria massima {fmt_eur(r.tariffa.valore)}: {r.tariffa.fonte})",
                      ct.volontariato),
                     ("Totale cofinanziamento riconosciuto", q.cofinanziamento), ("Base di calcolo", q.base),
                     ("Minimo richiesto", q.minimo)):
        out.append(Riga([Cella(label, 4), Cella(fmt_eur(v), destra=True), Cella("")]))
    out.append(Riga([Cella("Quota realizzata", 4), Cella(fmt_pct(q.quota), destra=True),
                     Cella("rispettata" if q.rispettato else f"NON rispettata: mancano {fmt_eur(q.mancante)}")],
                    "totale"))

    # tranches and balance
    liq = r.liquidazione
    out += _section("Tranche e saldo")
    out.append(Riga([Cella("Tranche", 2), Cella("Quota", destra=True), Cella("Scadenza", destra=True),
                     Cella("Importo", destra=True), Cella("")], "intestazione"))
    for p in r.piano:
        out.append(Riga([Cella(f"{p.numero} - {p.descrizione}", 2), Cella(fmt_pct(p.quota), destra=True),
                         Cella(_d(p.scadenza), destra=True), Cella(fmt_eur(p.importo), destra=True), Cella("")]))
    for label, v in (("Contributo comunale previsto", liq.contributo_previsto),
                     ("Valore previsto del programma", liq.valore_previsto),
                     ("Valore realizzato (spese ammesse e cofinanziamento valorizzato)", liq.valore_realizzato)):
        out.append(Riga([Cella(label, 4), Cella(fmt_eur(v), destra=True), Cella("")]))
    out.append(Riga([Cella("Percentuale di realizzazione", 4),
                     Cella(fmt_pct(liq.percentuale_realizzazione), destra=True), Cella("")]))
    for label, v in (("Contributo dovuto (mai oltre le spese ammesse)", liq.contributo_finale),
                     ("Anticipi (prima e seconda tranche)", liq.anticipi)):
        out.append(Riga([Cella(label, 4), Cella(fmt_eur(v), destra=True), Cella("")]))
    running = r.data_riferimento <= r.finestre[-1].fine
    out.append(Riga([Cella("Saldo", 4), Cella(fmt_eur(liq.saldo), destra=True),
                     Cella(("da recuperare" if liq.saldo < 0 else "da liquidare")
                           + ("; anno in corso: proiezione sulle sole spese ammesse finora" if running else ""))],
                    "totale"))

    # windows and the sample
    out += _section("Finestre rendicontative")
    out.append(Riga([Cella("Finestra", 2), Cella("Dal", destra=True), Cella("Al", destra=True),
                     Cella("Blocco", destra=True), Cella("Stato alla data di riferimento")], "intestazione"))
    for f in r.finestre:
        out.append(Riga([Cella(f.etichetta, 2), Cella(_d(f.inizio), destra=True), Cella(_d(f.fine), destra=True),
                         Cella(_d(f.blocco), destra=True), Cella(f.stato(r.data_riferimento).lower())]))
    out += _section("Campione del personale")
    for c in r.campioni:
        who = "; ".join(f"{p} (righe {', '.join(str(x) for x in c.righe[p])})" for p in c.estratti) \
            or "nessuna persona nel semestre"
        out.append(Riga([Cella(f"Semestre {c.semestre}/{c.anno}: {c.dimensione} su {c.persone}, seme {c.seme} "
                               f"({c.descrizione_seme()})", 2), Cella(who, 4)]))

    # every row not (fully) admitted, with its reasons in full
    rows = [(s, e) for s, e in zip(r.spese, r.esiti) if e.importo_ammesso < e.importo]
    out += _section(f"Spese non ammesse o ammesse in parte ({len(rows)})")
    if rows:
        out.append(Riga([Cella("Riga", destra=True), Cella("Spesa"), Cella("Rendicontato", destra=True),
                         Cella("Non ammesso", destra=True), Cella("Esito"), Cella("Motivi")], "intestazione"))
        for s, e in rows:
            what = " - ".join(str(x) for x in (s.partner, s.azione and f"azione {s.azione}", r.nome_categoria(s),
                                                s.descrizione, s.numero_documento and f"doc. {s.numero_documento}")
                              if x)
            out.append(Riga([Cella(str(e.riga), destra=True), Cella(what), Cella(fmt_eur(e.importo), destra=True),
                             Cella(fmt_eur(e.importo - e.importo_ammesso), destra=True), Cella(_ESITI[e.esito]),
                             Cella(e.testo_motivi() or "(nessun motivo)")]))
    else:
        out.append(Riga([Cella("Tutte le spese sono ammesse per intero.", 6)]))
    if r.avvisi:
        out += _section("Avvisi")
        for a in r.avvisi:
            out.append(Riga([Cella(a, 6)]))

    out += _section("Osservazioni e firma")
    out.append(Riga([Cella(f"L'ATS può presentare osservazioni sulle spese non ammesse entro il "
                           f"{_d(r.scadenza_osservazioni)}.", 6)]))
    out.append(Riga([Cella("", 6)], "spazio"))
    out.append(Riga([Cella("Luogo e data", 2), Cella("Crema, ____________________", 4)]))
    out.append(Riga([Cella("Il funzionario incaricato", 2), Cella("Nome e cognome ______________________________", 4)]))
    out.append(Riga([Cella("", 2), Cella("Firma ______________________________________", 4)]))
    return out


def _lines(text: str, width: float) -> int:
    from addin.workbook.report import righe_testo

    return righe_testo(text, width * 1.05)  # 10.5 pt text in columns measured at 11 pt


def _cartella(r, righe: list[Riga]):
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "Verbale"
    for i, w in enumerate(WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    fonts = {"titolo": Font(name=_FONT, size=15, bold=True), "sottotitolo": Font(name=_FONT, size=11, bold=True),
             "sezione": Font(name=_FONT, size=12, bold=True), "intestazione": Font(name=_FONT, size=10.5, bold=True),
             "totale": Font(name=_FONT, size=10.5, bold=True), "nota": Font(name=_FONT, size=9.5, italic=True)}
    plain = Font(name=_FONT, size=10.5)
    fill = PatternFill("solid", fgColor="FFDDEBF7")
    line = Border(bottom=Side(style="thin", color="FF808080"))
    heights = {"titolo": 22, "sezione": 18, "spazio": 8}
    for ri, row in enumerate(righe, start=1):
        col = 1
        lines = 1
        for c in row.celle:
            cell = ws.cell(ri, col, c.testo or None)
            cell.font = fonts.get(row.stile, plain)
            after_number = col > 1 and not c.destra and row.celle[0] is not c
            cell.alignment = Alignment(wrap_text=True, vertical="top", horizontal="right" if c.destra else "left",
                                       indent=1 if after_number else 0)
            if row.stile == "intestazione":
                cell.fill = fill
            if row.stile == "sezione":
                cell.border = line
            width = sum(WIDTHS[col - 1:col - 1 + c.span])
            if c.testo:
                lines = max(lines, _lines(c.testo, width))
            if c.span > 1:
                ws.merge_cells(start_row=ri, start_column=col, end_row=ri, end_column=col + c.span - 1)
            col += c.span
        ws.row_dimensions[ri].height = heights.get(row.stile) or lines * _LINE_PT + 3
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "portrait"
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.6
    ws.page_margins.top, ws.page_margins.bottom = 0.8, 0.7
    ws.print_options.horizontalCentered = True
    ws.oddHeader.left.text = (f"Comune di Crema - Verbale di verifica: programma {r.programma}, anno {r.anno}, "
                              f"al {r.data_riferimento:%d/%m/%Y}").replace("&", "&&")
    ws.oddHeader.left.size = 8
    dati = r.sha256 is None and r.sha256_dati
    ws.oddFooter.left.text = f"SHA-256 dei dati verificati: {dati}" if dati else \
        f"SHA-256 del file: {r.sha256 or 'non calcolata'}"
    ws.oddFooter.left.size = 7
    ws.oddFooter.right.text = "Pagina &P di &N"
    ws.oddFooter.right.size = 8
    ws.sheet_view.showGridLines = False
    ws.print_options.gridLines = False
    return wb


def scrivi_verbale(r, dest: str | Path) -> Path:
    """Write the verbale of a check as PDF/A-2b at `dest`."""
    from addin.documenti.pdfa import esporta_pdfa

    wb = _cartella(r, righe_verbale(r))
    with tempfile.TemporaryDirectory(prefix="rendiconta_verbale_") as tmp:
        src = Path(tmp) / "verbale.xlsx"
        wb.save(src)
        return esporta_pdfa(src, dest)

