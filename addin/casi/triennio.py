"""Use case: the three years together (issue #16).

`consolida_triennio(...)` is pure: it takes programme workbooks of several years (already read, or
already checked) and the Comune's acts (payments made, approved budget variations, as read from the
register), consolidates each year with `addin.casi.consolida.consolida`, and builds per programme and for
the ATS, per year and cumulative: approved budget, admitted, co-financing share, contribution, paid,
to recover; the tranches planned, paid and due with late payments marked; the approved budget per
action and category beside the partners' proposals; double funding across years.

The contribution of a year is final only once the year's last window is locked (before then the
approved municipal budget stands in, and nothing is "to recover": the advances are not an excess).
The payments and variations are the register's, never the workbook's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from addin.casi.verifica import RisultatoVerifica
from addin.config.models import BudgetAnno, Config
from addin.casi.consolida import ErroreLettura, RigaProgramma, RisultatoConsolidato, consolida
from addin.errors import ErroreInput
from addin.rules.budget import UsoBudget, uso_budget
from addin.rules.lookup import lookup_for
from addin.rules.money import ZERO, money
from addin.rules.multiyear import (DatiAnno, DoppioAnni, OrePersona, RigaDocumento, doppi_documenti_anni,
                                   persone_oltre_tempo, recuperi_compensati, situazioni_anni, somma_programmi,
                                   triennio)
from addin.rules.payments import Pagamento, SituazionePagamenti
from addin.rules.tranches import liquidazione
from addin.rules.variations import (VariazioneBudget, VoceApprovata, budget_approvato, budget_programma_approvato,
                                    differenze_proposte)
from addin.rules.windows import anno_chiuso
from addin.workbook.reader import CartellaRendiconto

__all__ = ["RisultatoTriennio", "consolida_triennio", "consolida_triennio_file", "risultato_json"]


@dataclass
class ProgrammaTriennio:
    """One programme (or the ATS: programma None) over the years."""

    codice: str
    programma: int | None
    nome: str
    anni: list[DatiAnno]
    cumulato: DatiAnno
    definitivo: dict[int, bool] = field(default_factory=dict)   # year -> contribution final


@dataclass
class RisultatoTriennio:
    data_riferimento: dt.date
    anni: dict[int, RisultatoConsolidato]
    programmi: list[ProgrammaTriennio]
    ats: ProgrammaTriennio
    pagamenti: dict[tuple[int, int], SituazionePagamenti]        # (programme, year)
    budget: dict[tuple[int, int], list[VoceApprovata]]           # (programme, year), years with a workbook
    proposte: dict[tuple[int, int], list[str]]                   # partners' variations not approved
    uso_budget: dict[tuple[int, int], dict[tuple[str, str], UsoBudget]]   # admitted vs approved budget
    doppi_documenti: list[DoppioAnni]
    doppie_persone: list[DoppioAnni]
    errori: list[ErroreLettura]
    esclusi: list[str] = field(default_factory=list)            # workbooks of a year outside the co-design
    path: Path | None = None


def _anno_di(x: CartellaRendiconto | RisultatoVerifica) -> int:
    return x.anno


def consolida_triennio(items: Iterable[CartellaRendiconto | RisultatoVerifica | ErroreLettura | ErroreInput],
                       config: Config, data_riferimento: dt.date, *, pagamenti: Sequence[Pagamento] = (),
                       variazioni: Sequence[VariazioneBudget] = (), anni: Sequence[int] | None = None,
                       chiave: bytes | None = None, seme: int | None = None) -> RisultatoTriennio:
    """Consolidate the workbooks of several years with the register's payments and variations. Pure."""
    items = list(items)
    books = [x for x in items if isinstance(x, (CartellaRendiconto, RisultatoVerifica))]
    errori = [x if isinstance(x, ErroreLettura) else ErroreLettura(x.file or "", x.testo()) for x in items
              if isinstance(x, (ErroreLettura, ErroreInput))]
    period = config.periodo.anni
    years = sorted(set(anni) if anni is not None else {_anno_di(x) for x in books if _anno_di(x) in period})
    esclusi = [str(x.cartella.path if isinstance(x, RisultatoVerifica) else x.path) for x in books
               if _anno_di(x) not in period]
    per_year: dict[int, RisultatoConsolidato] = {}
    for y in years:
        per_year[y] = consolida([x for x in books if _anno_di(x) == y], config, data_riferimento, anno=y,
                                chiave=chiave, seme=seme)

    budgets: dict[tuple[int, int], BudgetAnno] = {
        (p.codice, y): budget_programma_approvato(config, p.codice, y, variazioni, data_riferimento)
        for p in config.programmi for y in years}
    prog_rows: dict[int, dict[int, RigaProgramma]] = {
        p.codice: {y: per_year[y].programmi[i] for y in years} for i, p in enumerate(config.programmi)}
    closed = {y: anno_chiuso(config, y, data_riferimento) for y in years}

    situazioni: dict[tuple[int, int], SituazionePagamenti] = {}
    programmi: list[ProgrammaTriennio] = []
    for p in config.programmi:
        finals = {y: _contributo_finale(config, y, budgets[(p.codice, y)], prog_rows[p.codice][y]) for y in years}
        sit = situazioni_anni(config, p.codice, {y: (budgets[(p.codice, y)].comunale,
                                                     finals[y] if closed[y] else None) for y in years},
                              pagamenti, data_riferimento)
        recovered = recuperi_compensati(sit)
        rows = []
        for y in years:
            situazioni[(p.codice, y)] = sit[y]
            row, b = prog_rows[p.codice][y], budgets[(p.codice, y)]
            rows.append(DatiAnno(
                y, b.comunale, b.cofinanziamento, row.ammesso, row.cofin.totale,
                row.quota.base if (row.quota and row.presente) else ZERO,
                finals[y] if closed[y] and finals[y] is not None else b.comunale,
                sit[y].pagato, sit[y].compensazione_ricevuta, recovered[y]))
        rows, cum = triennio(rows)
        programmi.append(ProgrammaTriennio(f"P{p.codice}", p.codice, p.nome, rows, cum,
                                           {y: closed[y] and finals[y] is not None for y in years}))
    ats_rows = [somma_programmi([pt.anni[i] for pt in programmi], y) for i, y in enumerate(years)]
    ats_rows, ats_cum = triennio(ats_rows)
    ats = ProgrammaTriennio("ATS", None, f"ATS {config.ats}", ats_rows, ats_cum,
                            {y: all(pt.definitivo.get(y) for pt in programmi) for y in years})

    budget: dict[tuple[int, int], list[VoceApprovata]] = {}
    proposte: dict[tuple[int, int], list[str]] = {}
    uso: dict[tuple[int, int], dict[tuple[str, str], UsoBudget]] = {}
    for y, r in per_year.items():
        for p in config.programmi:
            copies = [f for f in r.fonti if f.cartella.programma == p.codice]
            sheet = copies[0].cartella.budget if copies else []
            if not copies and not any(v.programma == p.codice and v.anno == y for v in variazioni):
                continue
            voci = budget_approvato(config, sheet, variazioni, p.codice, y, data_riferimento)
            budget[(p.codice, y)] = voci
            approved = [v.come_voce_budget() for v in voci]
            spese = [s for f in copies for s in f.cartella.spese]
            esiti = [e for f in copies for e in f.esiti]
            uso[(p.codice, y)] = {(u.azione, u.categoria): u for u in uso_budget(config, approved, spese, esiti)}
            proposte[(p.codice, y)] = differenze_proposte(config, voci) if copies else []

    docs, persons = _righe_anni(config, per_year)
    return RisultatoTriennio(data_riferimento, per_year, programmi, ats, situazioni, budget, proposte, uso,
                             doppi_documenti_anni(docs), persone_oltre_tempo(persons, config.limiti.ore_mese_massime),
                             errori, esclusi)


def _contributo_finale(config: Config, anno: int, b: BudgetAnno, row: RigaProgramma) -> Decimal | None:
    """The final contribution on the approved budget (the check's own when no variation changed it)."""
    liq = row.liquidazione
    if liq is None:
        return None
    if money(b.comunale) == liq.contributo_previsto and money(b.totale) == liq.valore_previsto:
        return liq.contributo_finale
    return liquidazione(config, anno, b.comunale, b.totale, liq.valore_realizzato, row.ammesso).contributo_finale


def _righe_anni(config: Config, per_year: dict[int, RisultatoConsolidato]) -> tuple[list[RigaDocumento],
                                                                                      list[OrePersona]]:
    lk = lookup_for(config)
    docs: list[RigaDocumento] = []
    persons: list[OrePersona] = []
    for y, r in per_year.items():
        for f in r.fonti:
            name, prog = Path(f.path).name, f.cartella.programma
            for s, e in zip(f.cartella.spese, f.esiti, strict=True):
                if e.documento is not None:
                    docs.append(RigaDocumento(y, prog, name, s.riga, e.documento, s.fornitore or "",
                                              s.numero_documento or "", s.importo_documento, e.importo,
                                              e.importo_ammesso))
                cat = lk.categoria(s.categoria)
                if cat is not None and cat.personale and s.persona and s.ore and s.data_documento:
                    persons.append(OrePersona(y, prog, name, s.riga, s.persona, s.data_documento, s.ore))
    return docs, persons


# --- files ----------------------------------------------------------------------------------------------

def consolida_triennio_file(paths: Sequence[str | Path], config: Config, data_riferimento: dt.date,
                            out: str | Path | None, *, pagamenti: Sequence[Pagamento] = (),
                            variazioni: Sequence[VariazioneBudget] = (), anni: Sequence[int] | None = None,
                            chiave: bytes | None = None, seme: int | None = None,
                            errori: Sequence[ErroreInput] = (),
                            dati: Mapping[str, bytes] | None = None) -> RisultatoTriennio:
    """Read the workbooks of several years (unreadable ones, and the `errori` met finding them, become
    anomalies), consolidate them with the register's acts and write `out` atomically (when given).
    `dati`: bytes already read (and hashed) by path, parsed instead of reading the file again.
    Inputs are only read."""
    import os

    from addin.workbook.reader import leggi_cartella
    from addin.workbook.triennio import scrivi_triennio

    out = Path(out) if out is not None else None
    for p in paths:
        if out is not None and Path(p).exists() and out.exists() and os.path.samefile(p, out):
            raise ErroreInput("il file di uscita coincide con uno dei file da consolidare: "
                              "indicare un altro nome con --out.", file=str(p))
    items: list[CartellaRendiconto | ErroreLettura | ErroreInput] = list(errori)
    for p in paths:
        try:
            items.append(leggi_cartella(p, config, dati=(dati or {}).get(str(p))))
        except ErroreInput as exc:
            items.append(ErroreLettura(str(p), exc.testo() if exc.file else f"file «{p}»: {exc.testo()}"))
    if paths and not any(isinstance(x, CartellaRendiconto) for x in items):
        raise ErroreInput("nessuno dei file indicati è un rendiconto leggibile: "
                          + "; ".join(x.messaggio for x in items if isinstance(x, ErroreLettura)))
    r = consolida_triennio(items, config, data_riferimento, pagamenti=pagamenti, variazioni=variazioni, anni=anni,
                           chiave=chiave, seme=seme)
    if out is not None:
        r.path = scrivi_triennio(r, out, config)
    return r


def risultato_json(r: RisultatoTriennio) -> dict:
    """The machine-readable three-year result (amounts as Decimal strings, dates ISO)."""
    from addin.rules.money import money_str

    def anni(pt: ProgrammaTriennio) -> list[dict]:
        return [{"anno": d.anno, "budget_comunale": money_str(d.budget_comunale),
                 "budget_cofinanziamento": money_str(d.budget_cofin), "ammesso": money_str(d.ammesso),
                 "cofinanziamento": money_str(d.cofinanziamento),
                 "quota_cofinanziamento": f"{d.quota_cofinanziamento:.6f}", "contributo": money_str(d.contributo),
                 "contributo_definitivo": pt.definitivo.get(d.anno) if d.anno is not None else None,
                 "pagato": money_str(d.pagato), "da_pagare": money_str(d.da_pagare),
                 "da_recuperare": money_str(d.da_recuperare)} for d in pt.anni + [pt.cumulato]]

    return {
        "data_riferimento": r.data_riferimento.isoformat(), "anni": list(r.anni),
        "file": str(r.path) if r.path else None,
        "programmi": [{"codice": pt.codice, "anni": anni(pt)} for pt in r.programmi + [r.ats]],
        "tranche": [{"programma": p, "anno": y, "tranche": t.numero, "scadenza": t.scadenza.isoformat(),
                     "previsto": money_str(t.previsto), "pagato": money_str(t.pagato),
                     "da_pagare": money_str(t.da_pagare), "in_ritardo": t.in_ritardo, "stato": t.stato}
                    for (p, y), s in sorted(r.pagamenti.items()) for t in s.tranche],
        "doppi_finanziamenti": [{"tipo": k, "descrizione": d.descrizione,
                                 "eccedenza": money_str(d.eccedenza) if d.eccedenza is not None else None,
                                 "luoghi": [{"anno": a, "programma": p, "file": f, "riga": x} for a, p, f, x in d.luoghi]}
                                for k, ds in (("documento", r.doppi_documenti), ("persona", r.doppie_persone))
                                for d in ds],
        "proposte_non_approvate": {f"P{p}/{y}": lines for (p, y), lines in sorted(r.proposte.items()) if lines},
        "file_non_leggibili": [{"file": e.path, "errore": e.messaggio} for e in r.errori],
    }


def anni_dei_file(paths: Sequence[str | Path], config: Config) -> set[int]:
    """The years the workbooks declare in `_meta` (files that cannot say are left out: the
    consolidation reports them)."""
    from addin.workbook import schema as S
    from addin.workbook.reader import _int_meta, _meta, leggi_griglie

    years: set[int] = set()
    for p in paths:
        try:
            grids, _ = leggi_griglie(p, (S.META,))
            years.add(_int_meta(_meta(grids.get(S.META), Path(p).name), S.META_ANNO, Path(p).name))
        except ErroreInput:
            continue
    return years
