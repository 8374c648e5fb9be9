"""Use case: the capofila consolidates the programme workbooks of a year.

`consolida(...)` is pure: it takes workbooks already read (`CartellaRendiconto`, or already checked:
`RisultatoVerifica`) or the errors met reading them, runs the one-click check
(`addin.casi.verifica.esegui_verifica`) on each workbook not yet checked and builds the consolidated figures
on top of those results: per-programme totals are the sums of the check results of that programme's
workbooks, so they match `rendiconta verifica` to the cent.
`consolida_file(...)` reads the files (checking each as soon as it is read), calls `consolida` and
writes the consolidated workbook.

Several workbooks of the same programme (partner copies) are merged: every copy is checked on its
own (its row numbers and seals stay valid) and the programme figures are the sums over the copies;
the programme-level figures (co-financing share, final contribution, balance) are then recomputed
from those sums with the same rule functions the check uses.

Cross-workbook anomalies (`Anomalie` sheet): missing programmes, workbooks of another year or
schema version, unreadable files with their Italian error, programmes given in several copies,
and double funding: the same document (supplier + number) claimed in more than one workbook for
more than 100% of its amount, with every place it appears. The programmes' admitted amounts stay
those of the check (the Comune decides in the programme workbook, Decisione Comune); the
double-funded excess, and what is admitted for a person's hours beyond the monthly cap once the
workbooks are added up, are deducted from the ATS admitted total.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from concurrent.futures import ThreadPoolExecutor
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pandas as pd

from addin.casi.atti_registro import AttiProgramma, leggi_atti
from addin.casi.pagamenti import pagamenti_da_atti
from addin.casi.variazioni import variazioni_da_atti
from addin.casi.verifica import RisultatoVerifica, esegui_verifica, pagamenti_json
from addin.config.models import BudgetAnno, Config
from addin.errors import ErroreInput, ErroreRendiconta
from addin.rules.budget import VoceBudget
from addin.rules.cofinancing import (TotaliCofinanziamento, VerificaQuota, avviso_monetario,
                                     con_monetario_realizzato, riduzione_quota, tipo_cofinanziamento,
                                     verifica_budget, verifica_realizzato)
from addin.rules.eligibility import ore_persona_mese
from addin.rules.lookup import lookup_for, norm_action
from addin.rules.models import EsitoRiga, Spesa
from addin.rules.money import ZERO, fmt_eur, fmt_num, fmt_pct, money, money_str
from addin.rules.payments import SituazionePagamenti, situazione_pagamenti
from addin.rules.sampling import Campione, campioni_programma
from addin.rules.tranches import Liquidazione, liquidazione, piano_tranche
from addin.rules.variations import budget_programma_approvato
from addin.rules.windows import anno_chiuso, avviso_anno, finestre_anno
from addin.runtime import gc_paused, gil_handoff
from addin.workbook import schema as S
from addin.workbook.reader import CartellaRendiconto

__all__ = ["Anomalia", "ErroreLettura", "Fonte", "RigaProgramma", "RigaAzione", "RigaPartner",
           "RisultatoConsolidato", "consolida", "consolida_file", "build_consolidation_template",
           "doppi_finanziamenti", "risultato_json"]

Progress = Callable[[str, int, int], None]   # (Italian step description, done, total)

# kinds of anomaly (Italian, shown in the `Anomalie` sheet)
A_MANCANTE = "Programma mancante"
A_ILLEGGIBILE = "File non leggibile"
A_ANNO = "Anno diverso"
A_VERSIONE = "Versione dello schema diversa"
A_COPIE = "Più copie dello stesso programma"
A_DOPPIO = "Doppio finanziamento"
A_ORE = "Ore mensili oltre il massimo"
A_COFIN = "Cofinanziamento realizzato sotto la quota minima"
A_COFIN_PREVISTO = "Cofinanziamento previsto sotto la quota minima"
A_SCONOSCIUTO = "Programma non configurato"
A_DUPLICATO_FILE = "File indicato più volte"
A_BUDGET = "Budget diverso tra le copie"
A_AVVISO = "Avviso di lettura"
A_MONETARIO = "Cofinanziamento monetario incoerente"
A_RIDUZIONE = "Riduzione per la quota minima di cofinanziamento"
A_DATA = "Data di riferimento fuori dall'anno"
A_BUDGET_CONF = "Budget diverso da quello configurato"

GRAVE, ATTENZIONE, INFO = "Bloccante", "Attenzione", "Informazione"


@dataclass(frozen=True, slots=True)
class ErroreLettura:
    """A workbook that could not be read: its path and the Italian error."""

    path: str
    messaggio: str


@dataclass
class Fonte:
    """One programme workbook consolidated: what was read and its check result."""

    path: str
    cartella: CartellaRendiconto
    risultato: RisultatoVerifica
    esiti: list[EsitoRiga]       # aligned with cartella.spese


@dataclass(frozen=True, slots=True)
class Anomalia:
    tipo: str
    gravita: str
    descrizione: str
    programma: int | None = None
    file: str | None = None
    riga: int | None = None
    fornitore: str | None = None
    numero_documento: str | None = None
    importo: Decimal | None = None
    gruppo: int | None = None     # double funding: the same number for every place of one document


@dataclass
class StatoFinestra:
    etichetta: str       # "1/2026"
    stato: str           # CHIUSA / APERTA / NON INIZIATA
    blocco: dt.date


@dataclass
class RigaProgramma:
    codice: str                          # "P1".."P6" or "ATS"
    programma: int | None                # None for the ATS row
    nome: str
    file: list[str]
    budget_comunale: Decimal
    budget_cofin: Decimal
    rendicontato: Decimal = ZERO
    ammesso: Decimal = ZERO
    non_ammesso: Decimal = ZERO
    da_integrare: Decimal = ZERO
    escluso: Decimal = ZERO
    righe: int = 0
    cofin: TotaliCofinanziamento = field(default_factory=lambda: TotaliCofinanziamento(ZERO, ZERO, ZERO))
    quota: VerificaQuota | None = None
    quota_budget: VerificaQuota | None = None
    vincolante: bool = False
    liquidazione: Liquidazione | None = None
    anticipi: list[Decimal] = field(default_factory=list)   # planned advances (tranches before the balance)
    ammesso_finestra: dict[int, Decimal] = field(default_factory=dict)
    doppio_finanziamento: Decimal = ZERO                    # admitted beyond 100% of documents elsewhere
    ore_eccedenti: Decimal = ZERO                           # admitted for hours beyond the monthly cap across files
    presente: bool = True
    # year-end reduction of the contribution restoring the minimum co-financing share (binding level,
    # after the lock of the last window); None before that (the share is then advisory)
    riduzione_quota: Decimal | None = None
    # tranches planned, paid and due (the register's payments); None: register not consulted, or the ATS row
    pagamenti: SituazionePagamenti | None = None

    @property
    def saldo_dopo_riduzione(self) -> Decimal | None:
        if self.liquidazione is None or not self.presente:
            return None
        return self.liquidazione.saldo - (self.riduzione_quota or ZERO)

    @property
    def budget_totale(self) -> Decimal:
        return self.budget_comunale + self.budget_cofin

    @property
    def detratto(self) -> Decimal:
        """Admitted by the checks but not admissible once the workbooks are added up (double funding,
        hours of a person beyond the monthly cap across files): deducted from the ATS admitted total only."""
        return self.doppio_finanziamento + self.ore_eccedenti


@dataclass
class RigaAzione:
    programma: int
    azione: str
    titolo: str
    categoria: str           # category label (Italian)
    budget_comunale: Decimal
    budget_cofin: Decimal
    rendicontato: Decimal
    ammesso: Decimal

    @property
    def budget_totale(self) -> Decimal:
        return self.budget_comunale + self.budget_cofin

    @property
    def residuo(self) -> Decimal:
        return self.budget_totale - self.ammesso


@dataclass
class RigaPartner:
    partner: str
    nell_ats: bool
    capofila: bool
    ammesso_programma: dict[int, Decimal]
    rendicontato: Decimal
    ammesso: Decimal
    cofinanziamento: Decimal
    righe: int


@dataclass
class RisultatoConsolidato:
    anno: int
    data_riferimento: dt.date
    programmi: list[RigaProgramma]        # one per configured programme, in order
    ats: RigaProgramma
    azioni: list[RigaAzione]
    partner: list[RigaPartner]
    anomalie: list[Anomalia]
    fonti: list[Fonte]                    # consolidated workbooks, in input order
    errori: list[ErroreLettura]
    finestre: list[StatoFinestra]
    esclusi: list[str] = field(default_factory=list)   # read but not consolidated (other year, unknown programme)
    path: Path | None = None
    # the personnel audit sample of each programme, both semesters, over all its workbooks
    campioni: dict[int, list[Campione]] = field(default_factory=dict)

    @property
    def programmi_mancanti(self) -> list[int]:
        return [p.programma for p in self.programmi if not p.presente]

    @property
    def righe_spese(self) -> int:
        return sum(len(f.esiti) for f in self.fonti)


# --- pure consolidation ---------------------------------------------------------------------------------

def _as_error(item: object) -> ErroreLettura | None:
    if isinstance(item, ErroreLettura):
        return item
    if isinstance(item, ErroreInput):
        return ErroreLettura(item.file or "", item.messaggio)
    if isinstance(item, ErroreRendiconta):
        return ErroreLettura("", str(item))
    return None


def _file_name(c: CartellaRendiconto, i: int) -> str:
    return str(c.path) if c.path else f"cartella {i + 1}"


def consolida(cartelle_o_errori: Iterable[CartellaRendiconto | RisultatoVerifica | ErroreLettura | ErroreInput],
              config: Config, data_riferimento: dt.date, *, anno: int | None = None,
              chiave: bytes | None = None, seme: int | None = None,
              progress: Progress | None = None,
              atti: Mapping[tuple[int, int], AttiProgramma] | None = None) -> RisultatoConsolidato:
    """Consolidate programme workbooks already read (or the errors met reading them). Pure.
    `atti`: the register's acts by (programme, year) (None: file-only checks, as `--senza-registro`).

    A workbook may also be given already checked (the `RisultatoVerifica` of `esegui_verifica` at the
    same reference date, key and seed, as `consolida_file` does while the other files are still being
    read): its check is then not repeated."""
    items = list(cartelle_o_errori)
    checked: dict[int, RisultatoVerifica] = {}
    for x in items:
        if isinstance(x, RisultatoVerifica):
            if x.data_riferimento != data_riferimento:
                raise ValueError(f"check at {x.data_riferimento}, consolidation at {data_riferimento}")
            checked[id(x.cartella)] = x
    cartelle = [x.cartella if isinstance(x, RisultatoVerifica) else x for x in items
                if isinstance(x, (CartellaRendiconto, RisultatoVerifica))]
    errori = [e for x in items if (e := _as_error(x)) is not None]
    anomalie: list[Anomalia] = []
    for e in errori:
        anomalie.append(Anomalia(A_ILLEGGIBILE, GRAVE, e.messaggio, file=e.path or None))

    if anno is None:
        years = Counter(c.anno for c in cartelle)
        anno = min(years.items(), key=lambda kv: (-kv[1], -kv[0]))[0] if years else data_riferimento.year
    codes = {p.codice for p in config.programmi}
    missing_budget = [str(p.codice) for p in config.programmi if anno not in p.budget]
    if missing_budget:
        raise ErroreInput(f"nessun budget configurato per l'anno {anno} (programmi {', '.join(missing_budget)}): "
                          f"anni della co-progettazione {', '.join(str(y) for y in config.periodo.anni)}.")

    # select the workbooks to consolidate
    seen_paths: dict[str, int] = {}
    selected: list[tuple[str, CartellaRendiconto]] = []
    esclusi: list[str] = []
    for i, c in enumerate(cartelle):
        name = _file_name(c, i)
        if c.path and name in seen_paths:
            anomalie.append(Anomalia(A_DUPLICATO_FILE, ATTENZIONE,
                                     "Lo stesso file è stato indicato più volte: considerato una volta sola.",
                                     programma=c.programma, file=name))
            continue
        seen_paths[name] = i
        if c.programma not in codes:
            anomalie.append(Anomalia(A_SCONOSCIUTO, GRAVE,
                                     f"Il file dichiara il programma {c.programma}, che non è tra quelli "
                                     f"configurati ({', '.join(str(k) for k in sorted(codes))}): non consolidato.",
                                     programma=c.programma, file=name))
            esclusi.append(name)
            continue
        if c.anno != anno:
            anomalie.append(Anomalia(A_ANNO, GRAVE,
                                     f"Il file è del {c.anno}, il consolidato del {anno}: non consolidato.",
                                     programma=c.programma, file=name))
            esclusi.append(name)
            continue
        selected.append((name, c))
    versions = Counter(c.versione for _, c in selected)
    if len(versions) > 1 or (versions and S.SCHEMA_VERSION not in versions):
        for name, c in selected:
            if c.versione != S.SCHEMA_VERSION:
                anomalie.append(Anomalia(A_VERSIONE, ATTENZIONE,
                                         f"Versione dello schema «{c.versione}», attesa «{S.SCHEMA_VERSION}»: "
                                         "verificare che il file sia stato creato dal modello corrente.",
                                         programma=c.programma, file=name))
    for name, c in selected:
        for a in c.avvisi:
            anomalie.append(Anomalia(A_AVVISO, INFO, a, programma=c.programma, file=name))

    # the check, workbook by workbook
    fonti: list[Fonte] = []
    for k, (name, c) in enumerate(selected):
        if progress:
            progress(f"Verifica {Path(name).name}", k, len(selected))
        r = checked.get(id(c)) or esegui_verifica(c, config, data_riferimento, chiave=chiave, seme=seme,
                                                  atti=_atti_di(atti, c), **denaro_registro(_atti_di(atti, c)))
        fonti.append(Fonte(name, c, r, list(r.esiti)))
    if progress:
        progress("Consolidamento", len(selected), len(selected))

    by_prog: dict[int, list[Fonte]] = defaultdict(list)
    for f in fonti:
        by_prog[f.cartella.programma].append(f)

    if (fuori := avviso_anno(anno, data_riferimento)) is not None:
        anomalie.insert(0, Anomalia(A_DATA, ATTENZIONE, fuori))
    for f in fonti:
        for a in f.risultato.avvisi:
            if a.startswith("BUDGET_NON_CONFORME"):
                anomalie.append(Anomalia(A_BUDGET_CONF, ATTENZIONE, a, programma=f.cartella.programma, file=f.path))

    doppi = doppi_finanziamenti(fonti)
    anomalie.extend(doppi)
    excess_by_prog = _eccedenze_per_programma(doppi)
    ore = ore_oltre_il_massimo(config, fonti)
    anomalie.extend(ore)
    hours_by_prog = _eccedenze_per_programma(ore)

    programmi: list[RigaProgramma] = []
    binding_programme = config.cofinanziamento.livello_vincolante == "programma"
    for p in config.programmi:
        copies = by_prog.get(p.codice, [])
        row = _riga_programma(config, anno, p.codice, copies, binding_programme,
                              budget=_budget_approvato(config, anno, p.codice, atti, data_riferimento))
        row.doppio_finanziamento = excess_by_prog.get(p.codice, ZERO)
        row.ore_eccedenti = hours_by_prog.get(p.codice, ZERO)
        programmi.append(row)
        if not copies:
            anomalie.append(Anomalia(A_MANCANTE, GRAVE,
                                     f"Nessun file del programma {p.codice} «{p.nome}» per il {anno}: "
                                     "consolidato senza le sue spese.", programma=p.codice))
        elif len(copies) > 1:
            anomalie.append(Anomalia(A_COPIE, INFO,
                                     f"Programma {p.codice} presente in {len(copies)} file, uniti nel "
                                     f"consolidato: {', '.join(Path(f.path).name for f in copies)}.",
                                     programma=p.codice))
            first = _budget_key(copies[0].cartella.budget)
            for f in copies[1:]:
                if _budget_key(f.cartella.budget) != first:
                    anomalie.append(Anomalia(A_BUDGET, ATTENZIONE,
                                             "Il foglio Budget di questa copia è diverso da quello della "
                                             f"prima copia ({Path(copies[0].path).name}), usato nel consolidato.",
                                             programma=p.codice, file=f.path))
    ats = _riga_ats(config, anno, programmi, not binding_programme)
    last_lock = finestre_anno(config, anno)[-1].blocco
    year_closed = data_riferimento > last_lock      # the 10% binds only once the last window is locked
    indicativa = ("Verifica indicativa: vincolante è il livello "
                  + ("del programma." if binding_programme else "ATS."))
    provvisoria = (f"Vincolante solo dopo il blocco dell'ultima finestra ({last_lock:%d/%m/%Y}): "
                   "per ora indicativa.")
    for row in programmi + [ats]:
        qb = row.quota_budget
        if qb is not None and not qb.rispettato:
            who = "ATS" if row.programma is None else f"Programma {row.programma}"
            anomalie.append(Anomalia(
                A_COFIN_PREVISTO, GRAVE if row.vincolante else ATTENZIONE,
                f"{who}: cofinanziamento previsto a budget {fmt_eur(qb.cofinanziamento)}, {fmt_pct(qb.quota)} del "
                f"costo totale {fmt_eur(qb.base)}; minimo {fmt_pct(qb.quota_minima)} ({fmt_eur(qb.minimo)}), "
                f"mancano {fmt_eur(qb.mancante)}. " + ("Verifica vincolante." if row.vincolante else indicativa),
                programma=row.programma))
        if row.quota is not None and row.presente and not row.quota.rispettato:
            binding = row.vincolante and year_closed
            anomalie.append(Anomalia(
                A_COFIN, GRAVE if binding else ATTENZIONE,
                f"{'ATS' if row.programma is None else 'Programma ' + str(row.programma)}: cofinanziamento "
                f"realizzato {fmt_eur(row.quota.cofinanziamento)}, {fmt_pct(row.quota.quota)} della base "
                f"{fmt_eur(row.quota.base)}; minimo {fmt_pct(row.quota.quota_minima)} "
                f"({fmt_eur(row.quota.minimo)}), mancano {fmt_eur(row.quota.mancante)}. "
                + ("Verifica vincolante: il contributo è ridotto (colonna «Riduzione quota 10%»)." if binding
                   else provvisoria if row.vincolante else indicativa),
                programma=row.programma))
        if row.programma is not None and row.presente and row.cofin.monetario_incoerente:
            anomalie.append(Anomalia(A_MONETARIO, ATTENZIONE, avviso_monetario(row.cofin, f"Programma {row.programma}: "),
                                     programma=row.programma, importo=row.cofin.differenza_monetario))
    if year_closed:
        present = [r for r in programmi if r.liquidazione is not None and r.presente]
        rq = riduzione_quota(config, [(r.programma, r.liquidazione.contributo_finale,
                                       r.liquidazione.valore_realizzato) for r in present])
        whose = "del programma" if binding_programme else "dell'ATS"
        for r in present:
            r.riduzione_quota = rq.per_programma.get(r.programma, ZERO)
            if r.riduzione_quota > 0:
                anomalie.append(Anomalia(
                    A_RIDUZIONE, GRAVE,
                    f"Programma {r.programma}: contributo ridotto di {fmt_eur(r.riduzione_quota)} per riportare "
                    f"il cofinanziamento {whose} al minimo "
                    f"del {fmt_pct(config.cofinanziamento.quota_minima)} (scoperto del programma "
                    f"{fmt_eur(rq.scoperto[r.programma])}); saldo dopo la riduzione "
                    f"{fmt_eur(r.saldo_dopo_riduzione)}.", programma=r.programma, importo=r.riduzione_quota))
        ats.riduzione_quota = rq.totale
    for row in programmi:
        row.pagamenti = _pagamenti_programma(config, anno, row, atti, data_riferimento)

    risultato = RisultatoConsolidato(
        anno=anno, data_riferimento=data_riferimento, programmi=programmi, ats=ats,
        azioni=_azioni(config, anno, by_prog), partner=_partner(config, fonti), anomalie=anomalie,
        fonti=fonti, errori=errori,
        finestre=[StatoFinestra(f.etichetta, f.stato(data_riferimento), f.blocco)
                  for f in finestre_anno(config, anno)],
        esclusi=esclusi,
        campioni={p: campioni_programma(config, [(f.path, f.cartella.spese) for f in copies], p, anno, seme, chiave)
                  for p, copies in sorted(by_prog.items())})
    return risultato


def _budget_key(voci: Sequence[VoceBudget]) -> list[tuple]:
    return sorted((norm_action(v.azione), v.categoria, v.comunale_attuale, v.cofin_attuale) for v in voci)


def _riga_programma(config: Config, anno: int, codice: int, copies: list[Fonte],
                    vincolante: bool, *, budget: BudgetAnno | None = None) -> RigaProgramma:
    """A programme's figures. Budget: the configured yearly budget, as the check uses it (the
    workbook's Budget sheet, with the July/November variations, feeds the `Azioni` sheet).
    `budget`: the approved current budget (configured + the register's approved variations), when read.
    One workbook: the check's own figures. Several copies: the sums of the copies' check totals,
    with the programme-level figures recomputed by the same rule functions the check uses."""
    p = config.programma(codice)
    b = budget or p.budget_anno(anno)
    row = RigaProgramma(f"P{codice}", codice, p.nome, [f.path for f in copies], money(b.comunale),
                        money(b.cofinanziamento), vincolante=vincolante, presente=bool(copies))
    row.quota_budget = verifica_budget(config, row.budget_comunale, row.budget_cofin)
    row.anticipi = [t.importo for t in piano_tranche(config, anno, row.budget_comunale) if not t.saldo]
    for f in copies:
        t = f.risultato.totali
        row.rendicontato += t["rendicontato"]
        row.ammesso += t["ammesso"]
        row.non_ammesso += t["non_ammesso"]
        row.da_integrare += t["da_integrare"]
        row.escluso += t["escluso"]
        row.righe += len(f.esiti)
        for e in f.esiti:
            if e.finestra is not None and e.importo_ammesso:
                row.ammesso_finestra[e.finestra] = row.ammesso_finestra.get(e.finestra, ZERO) + e.importo_ammesso
    row.cofin = _somma_cofin([f.risultato.cofin_totali for f in copies])
    if not copies:   # nothing reported: no realised share, no final contribution to compute
        return row
    if len(copies) == 1:
        row.quota = copies[0].risultato.cofin_quota
        row.liquidazione = copies[0].risultato.liquidazione
    else:   # the contribution due on the programme's sums, then the monetary co-financing it leaves
        row.liquidazione = liquidazione(config, anno, row.budget_comunale, row.budget_totale,
                                        row.ammesso + row.cofin.valorizzato, row.ammesso)
        row.cofin = con_monetario_realizzato(row.cofin, row.ammesso, row.liquidazione.contributo_finale)
        row.quota = verifica_realizzato(config, row.ammesso, row.cofin, row.liquidazione.contributo_finale)
    return row


def _somma_cofin(items: Sequence[TotaliCofinanziamento]) -> TotaliCofinanziamento:
    return TotaliCofinanziamento(sum((t.monetario for t in items), ZERO),
                                 sum((t.non_monetario for t in items), ZERO),
                                 sum((t.volontariato for t in items), ZERO),
                                 sum((t.monetario_dichiarato for t in items), ZERO))


def _riga_ats(config: Config, anno: int, programmi: list[RigaProgramma], vincolante: bool) -> RigaProgramma:
    ats = RigaProgramma("ATS", None, f"ATS {config.ats}", [f for r in programmi for f in r.file],
                        sum((r.budget_comunale for r in programmi), ZERO),
                        sum((r.budget_cofin for r in programmi), ZERO), vincolante=vincolante)
    for name in ("rendicontato", "ammesso", "non_ammesso", "da_integrare", "escluso", "doppio_finanziamento",
                 "ore_eccedenti"):
        setattr(ats, name, sum((getattr(r, name) for r in programmi), ZERO))
    # what the checks admitted but is not admissible once the workbooks are added up (double-funded excess,
    # hours beyond the monthly cap): not admitted for the ATS
    ats.ammesso -= ats.detratto
    ats.non_ammesso += ats.detratto
    ats.righe = sum(r.righe for r in programmi)
    ats.cofin = _somma_cofin([r.cofin for r in programmi])
    for r in programmi:
        for k, v in r.ammesso_finestra.items():
            ats.ammesso_finestra[k] = ats.ammesso_finestra.get(k, ZERO) + v
    ats.quota_budget = verifica_budget(config, ats.budget_comunale, ats.budget_cofin)
    # the ATS contribution and balance are the sums of the programmes' (each programme is paid on its own)
    # programmes without a workbook have no final contribution: the ATS sums cover the others
    liq = [r.liquidazione for r in programmi if r.liquidazione is not None]
    ats.quota = verifica_realizzato(config, ats.ammesso, ats.cofin,
                                    sum((x.contributo_finale for x in liq), ZERO))
    ats.liquidazione = Liquidazione(
        *(sum((getattr(x, f) for x in liq), ZERO) for f in
          ("contributo_previsto", "valore_previsto", "valore_realizzato")),
        _ratio_capped(ats.ammesso + ats.cofin.valorizzato, ats.budget_totale),
        *(sum((getattr(x, f) for x in liq), ZERO) for f in
          ("contributo_proporzionale", "limite_spesa", "contributo_finale", "anticipi", "saldo")))
    n = max((len(r.anticipi) for r in programmi), default=0)
    ats.anticipi = [sum((r.anticipi[i] for r in programmi if i < len(r.anticipi)), ZERO) for i in range(n)]
    return ats


def _ratio_capped(a: Decimal, b: Decimal) -> Decimal:
    return min(Decimal(1), a / b) if b else Decimal(0)


# --- double funding -------------------------------------------------------------------------------------

def doppi_finanziamenti(fonti: Sequence[Fonte]) -> list[Anomalia]:
    """The same document (supplier + number) claimed in more than one workbook for more than 100% of
    its amount: one anomaly per place (file, programme, row), numbered by document group.

    Within one workbook the check already caps a document at 100%; here the claims of different
    workbooks (other programmes, or partner copies of the same programme) are added up. The document
    amount is the smallest `Importo documento` given for it (a disagreement is said in the anomaly);
    when none is given, any claim in more than one workbook is reported. The excess is measured on the admitted amounts (what would be paid twice)
    and shown on the place that goes beyond the document, in workbook and row order.
    """
    # first pass: the identity of every document and the workbooks it appears in
    seen: dict[tuple[str, str], set[int]] = defaultdict(set)
    located: list[tuple[tuple[str, str], int, Spesa, EsitoRiga]] = []
    for fi, f in enumerate(fonti):
        for s, e in zip(f.cartella.spese, f.esiti, strict=True):
            k = e.documento      # chiave_documento(s.fornitore, s.numero_documento), set by the check
            if k is not None:
                seen[k].add(fi)
                located.append((k, fi, s, e))
    # second pass, only for documents found in more than one workbook
    keys, files, rows, progs, rep, adm, doc = [], [], [], [], [], [], []
    for k, fi, s, e in located:
        if len(seen[k]) < 2:
            continue
        keys.append("\x1f".join(k))
        files.append(fi)
        rows.append(s.riga)
        progs.append(fonti[fi].cartella.programma)
        rep.append(int(e.importo * 100))
        adm.append(int(e.importo_ammesso * 100))
        doc.append(int(money(s.importo_documento) * 100) if s.importo_documento else -1)
    if not keys:
        return []
    df = pd.DataFrame({"k": keys, "f": files, "r": rows, "p": progs, "rep": rep, "adm": adm, "doc": doc})
    g = df.groupby("k", sort=False)
    given = df[df["doc"] >= 0].groupby("k", sort=False)["doc"]   # the smallest document amount counts
    stats = pd.DataFrame({"nfile": g["f"].nunique(), "rep": g["rep"].sum(), "adm": g["adm"].sum()})
    stats["doc"] = given.min().reindex(stats.index).fillna(-1).astype("int64")
    stats["ndoc"] = given.nunique().reindex(stats.index).fillna(0).astype("int64")
    flagged = stats[(stats["nfile"] > 1) & ((stats["doc"] < 0) | (stats["rep"] > stats["doc"]))]
    if flagged.empty:
        return []
    out: list[Anomalia] = []
    by_row = [{s.riga: s for s in f.cartella.spese} for f in fonti]
    sub = df[df["k"].isin(flagged.index)].sort_values(["k", "f", "r"], kind="stable")
    for n, (k, grp) in enumerate(sub.groupby("k", sort=True), start=1):
        st = flagged.loc[k]
        first = grp.iloc[0]
        places = len(grp)
        nprog = grp["p"].nunique()
        doc_cents = int(st["doc"])
        spesa0 = by_row[int(first["f"])].get(int(first["r"]))
        fornitore = spesa0.fornitore if spesa0 else None
        numero = spesa0.numero_documento if spesa0 else None
        where = "; ".join(f"{Path(fonti[int(x.f)].path).name} (P{int(x.p)}) riga {int(x.r)}"
                          for x in grp.itertuples())
        if doc_cents >= 0:
            doc_amount = Decimal(doc_cents).scaleb(-2)
            disagree = (f"importi del documento diversi tra le righe, vale il minore: {fmt_eur(doc_amount)}"
                        if int(st["ndoc"]) > 1 else f"importo {fmt_eur(doc_amount)}")
            head = (f"Documento {numero} di {fornitore} ({disagree}) rendicontato per "
                    f"{fmt_eur(Decimal(int(st['rep'])).scaleb(-2))} e ammesso per {fmt_eur(Decimal(int(st['adm'])).scaleb(-2))} "
                    f"in {places} righe di {grp['f'].nunique()} file e {nprog} programmi: {where}.")
        else:
            doc_amount = None
            head = (f"Documento {numero} di {fornitore} senza importo del documento, rendicontato in "
                    f"{grp['f'].nunique()} file ({nprog} programmi): {where}.")
        used = 0
        for x in grp.itertuples():
            excess = 0
            if doc_amount is not None:
                room = max(0, doc_cents - used)
                excess = max(0, int(x.adm) - room)
                used += int(x.adm)
            sp = by_row[int(x.f)].get(int(x.r))
            note = f" Eccedenza su questa riga: {fmt_eur(Decimal(excess).scaleb(-2))}." if excess else ""
            out.append(Anomalia(A_DOPPIO, GRAVE, head + note, programma=int(x.p), file=fonti[int(x.f)].path,
                                riga=int(x.r), fornitore=sp.fornitore if sp else fornitore,
                                numero_documento=sp.numero_documento if sp else numero,
                                importo=Decimal(excess).scaleb(-2) if doc_amount is not None else None,
                                gruppo=n))
    return out


def ore_oltre_il_massimo(config: Config, fonti: Sequence[Fonte]) -> list[Anomalia]:
    """The same person's hours in the same (competence) month across workbooks (partners, programmes)
    above `limiti.ore_mese_massime`: one anomaly per row beyond the cap, with the amount admitted for
    those hours (hours × the row's hourly cost, at most its admitted amount).

    Each workbook's check has already applied the cap to its own rows; here only the hours each
    workbook let through are added up, in workbook and row order, so no hour is counted twice."""
    cap = config.limiti.ore_mese_massime
    groups: dict[tuple[str, int, int], dict[int, list[int]]] = defaultdict(dict)
    for fi, f in enumerate(fonti):
        for key, idxs in ore_persona_mese(config, f.cartella.spese, f.esiti).items():
            groups[key][fi] = sorted(idxs, key=lambda i: f.cartella.spese[i].riga)
    out: list[Anomalia] = []
    for (_, year, month), by_file in sorted(groups.items()):
        if len(by_file) < 2:
            continue
        hours = {fi: sum((fonti[fi].cartella.spese[i].ore for i in idxs), Decimal(0)) for fi, idxs in by_file.items()}
        if sum((min(h, cap) for h in hours.values()), Decimal(0)) <= cap:
            continue
        first = fonti[min(by_file)].cartella.spese[by_file[min(by_file)][0]]
        where = "; ".join(f"{Path(fonti[fi].path).name} (P{fonti[fi].cartella.programma}) "
                          f"{fmt_num(hours[fi])} ore" for fi in sorted(by_file))
        total = sum(hours.values(), Decimal(0))
        head = (f"{first.persona}: {fmt_num(total)} ore nel mese {month:02d}/{year} "
                f"in {len(by_file)} file ({where}), oltre il massimo di {fmt_num(cap)} ore al mese.")
        used = Decimal(0)
        for fi in sorted(by_file):
            f = fonti[fi]
            used_here = Decimal(0)
            for i in by_file[fi]:
                s, e = f.cartella.spese[i], f.esiti[i]
                through = min(s.ore, max(Decimal(0), cap - used_here))   # what this workbook's check let through
                used_here += s.ore
                over = through - min(through, max(Decimal(0), cap - used))
                used += through
                if over <= 0:
                    continue
                amount = min(e.importo_ammesso, money(over * (s.costo_orario or ZERO)))
                out.append(Anomalia(A_ORE, GRAVE, f"{head} Su questa riga {fmt_num(over)} "
                                    f"ore eccedenti, ammesse per {fmt_eur(amount)}: tolte dall'ammesso dell'ATS.",
                                    programma=f.cartella.programma, file=f.path, riga=s.riga, importo=amount))
    return out


def _eccedenze_per_programma(doppi: Sequence[Anomalia]) -> dict[int, Decimal]:
    out: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for a in doppi:
        if a.programma is not None and a.importo:
            out[a.programma] += a.importo
    return dict(out)


# --- actions and partners -------------------------------------------------------------------------------

def _azioni(config: Config, anno: int, by_prog: dict[int, list[Fonte]]) -> list[RigaAzione]:
    lk = lookup_for(config)
    cats = {c.codice: c.nome for c in config.categorie}
    out: list[RigaAzione] = []
    for p in config.programmi:
        copies = by_prog.get(p.codice, [])
        voci = copies[0].cartella.budget if copies else []
        bc: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
        bf: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
        for v in voci:
            bc[(norm_action(v.azione), v.categoria)] += v.comunale_attuale
            bf[(norm_action(v.azione), v.categoria)] += v.cofin_attuale
        rep: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
        adm: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)
        for f in copies:
            for s, e in zip(f.cartella.spese, f.esiti, strict=True):
                cat = lk.categoria(s.categoria)
                key = (norm_action(s.azione), cat.codice if cat else "")
                rep[key] += e.importo
                adm[key] += e.importo_ammesso
        titles = {a.codice: a.titolo for a in p.azioni}
        keys = [(a, c) for a in p.codici_azioni for c in cats]
        extra = sorted(k for k in set(rep) if k not in set(keys))
        for a, c in keys + extra:
            if (a, c) in extra or bc.get((a, c)) or bf.get((a, c)) or rep.get((a, c)) or not voci:
                out.append(RigaAzione(p.codice, a or "(mancante)",
                                      titles.get(a, "(azione non del programma)"),
                                      cats.get(c, "(categoria non ammissibile o mancante)"),
                                      bc.get((a, c), ZERO), bf.get((a, c), ZERO),
                                      rep.get((a, c), ZERO), adm.get((a, c), ZERO)))
    return out


def _partner(config: Config, fonti: Sequence[Fonte]) -> list[RigaPartner]:
    lk = lookup_for(config)
    order = {p.nome: i for i, p in enumerate(config.partner)}
    rows: dict[str, RigaPartner] = {}

    def get(text: object) -> RigaPartner:
        p = lk.partner(text)
        name = p.nome if p else (str(text).strip() if text not in (None, "") else "(partner mancante)")
        if name not in rows:
            rows[name] = RigaPartner(name, p is not None, bool(p and p.capofila), {}, ZERO, ZERO, ZERO, 0)
        return rows[name]

    for p in config.partner:
        get(p.nome)
    for f in fonti:
        prog = f.cartella.programma
        for s, e in zip(f.cartella.spese, f.esiti, strict=True):
            r = get(s.partner)
            r.rendicontato += e.importo
            r.ammesso += e.importo_ammesso
            r.ammesso_programma[prog] = r.ammesso_programma.get(prog, ZERO) + e.importo_ammesso
            r.righe += 1
        valori = f.risultato.cofin_valori
        for v in f.cartella.cofinanziamento:
            if tipo_cofinanziamento(v.tipo) is not None:   # as in the check's totals
                get(v.partner).cofinanziamento += valori.get(v.riga, ZERO)
    return sorted(rows.values(), key=lambda r: (order.get(r.partner, len(order)), r.partner))


def _atti_di(atti: Mapping[tuple[int, int], AttiProgramma] | None, c: CartellaRendiconto) -> AttiProgramma | None:
    if atti is None:
        return None
    return atti.get((c.programma, c.anno)) or leggi_atti(c.programma, c.anno, [])


def denaro_registro(acts: AttiProgramma | None) -> dict:
    """The check's `variazioni` and `pagamenti` arguments from a chain's acts: the approved variations and
    the payments in force; nothing (the register not consulted) without acts."""
    if acts is None:
        return {}
    return {"variazioni": variazioni_da_atti(acts.atti), "pagamenti": pagamenti_da_atti(acts.atti)}


def _budget_approvato(config: Config, anno: int, programma: int,
                      atti: Mapping[tuple[int, int], AttiProgramma] | None, data_riferimento: dt.date) -> BudgetAnno | None:
    """The programme's approved current budget at the reference date (None: register not consulted)."""
    if atti is None:
        return None
    acts = atti.get((programma, anno)) or leggi_atti(programma, anno, [])
    return budget_programma_approvato(config, programma, anno, denaro_registro(acts)["variazioni"], data_riferimento)


def _pagamenti_programma(config: Config, anno: int, row: RigaProgramma,
                         atti: Mapping[tuple[int, int], AttiProgramma] | None,
                         data_riferimento: dt.date) -> SituazionePagamenti | None:
    """Planned, paid and due per tranche of a programme, as the check computes them: the advances on the
    approved budget, the balance on the final contribution once the year is closed, less the year-end
    reduction for the minimum co-financing share (known only here, across the programmes)."""
    if atti is None:
        return None
    acts = atti.get((row.programma, anno)) or leggi_atti(row.programma, anno, [])
    closed = row.liquidazione is not None and row.presente and anno_chiuso(config, anno, data_riferimento)
    due = row.liquidazione.contributo_finale - (row.riduzione_quota or ZERO) if closed else None
    return situazione_pagamenti(config, row.programma, anno, row.budget_comunale, denaro_registro(acts)["pagamenti"],
                                data_riferimento, contributo_dovuto=due)


class _AttiDalRegistro(dict):
    """(programme, year) -> the register's acts, read on first use."""

    def __init__(self, registro) -> None:
        super().__init__()
        self.registro = registro

    def __missing__(self, key: tuple[int, int]) -> AttiProgramma:
        self[key] = leggi_atti(*key, self.registro.atti(*key))
        return self[key]

    def get(self, key, default=None):
        return self[key]


# --- files ----------------------------------------------------------------------------------------------

def consolida_file(paths: Sequence[str | Path], config: Config, data_riferimento: dt.date,
                   out: str | Path, progress: Progress | None = None, *, anno: int | None = None,
                   chiave: bytes | None = None, seme: int | None = None, registro=None) -> RisultatoConsolidato:
    """Read the programme workbooks (unreadable ones become anomalies), consolidate, write `out`
    atomically. `registro`: the Comune's register, whose acts (seals, decisions, samples, notices) each
    check reads; None: file-only checks. Inputs are only read. Raises ErroreOutput when `out` cannot be written, ErroreInput
    when `out` is one of the inputs or no file at all could be given."""
    if not paths:
        raise ErroreInput("nessun file da consolidare.")
    out = Path(out)
    for p in paths:
        if Path(p).exists() and out.exists() and os.path.samefile(p, out):
            raise ErroreInput("il file di uscita coincide con uno dei file da consolidare: "
                              "indicare un altro nome con --out.", file=str(p))
    paths, doppi = file_distinti(paths)
    with gc_paused():
        return _consolida_file(paths, config, data_riferimento, out, progress, anno=anno, chiave=chiave, seme=seme,
                               doppi=doppi, atti=_AttiDalRegistro(registro) if registro is not None else None)


_BACKUP_RE = re.compile(r"\.bak-\d{8}-\d{6}(-\d+)?$")


def cartelle_programma(cartella: str | Path, escludi: Sequence[str | Path] = ()) -> list[str]:
    """The programme workbooks of a folder, recognised by the type in their `_meta` sheet: never the
    backups `blocca` makes (`.bak-...`), the `_verifica` reports, a consolidation or any other workbook.
    A file that cannot be read is kept (the consolidation reports it as unreadable)."""
    from addin.workbook.reader import leggi_griglie

    skip = {Path(p).resolve() for p in escludi}
    out = []
    for p in sorted(Path(cartella).glob("*.xlsx")):
        if p.name.startswith(("~$", ".")) or _BACKUP_RE.search(p.stem) or p.resolve() in skip:
            continue
        try:
            grids, _ = leggi_griglie(p, (S.META,))
        except ErroreInput:
            out.append(str(p))
            continue
        meta = {str(r[0]).strip(): r[1] for r in grids.get(S.META, []) if len(r) >= 2 and r[0]}
        if S.META_PROGRAMMA in meta and str(meta.get(S.META_TIPO) or S.TIPO_PROGRAMMA).strip() == S.TIPO_PROGRAMMA:
            out.append(str(p))
    return out


def file_distinti(paths: Sequence[str | Path]) -> tuple[list[str | Path], list[tuple[str, str]]]:
    """The paths naming distinct files: the same file given twice (by another path, through a link) or a
    byte-identical copy is consolidated once. Returns (paths kept, (file, Italian note) of those left out)."""
    import hashlib

    kept: list[str | Path] = []
    notes: list[tuple[str, str]] = []
    seen: dict[object, str] = {}
    for p in paths:
        keys: list[object] = []
        try:
            keys.append(("path", Path(p).resolve()))
            h = hashlib.sha256()
            with open(p, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    h.update(chunk)
            keys.append(("sha", h.hexdigest()))
        except OSError:
            pass      # unreadable: the reader reports it
        first = next((seen[k] for k in keys if k in seen), None)
        if first is not None:
            notes.append((Path(p).name, f"Il file «{p}» è lo stesso file (o una copia identica) di «{first}»: "
                                        "considerato una volta sola."))
            continue
        for k in keys:
            seen[k] = str(p)
        kept.append(p)
    return kept, notes


def _consolida_file(paths: Sequence[str | Path], config: Config, data_riferimento: dt.date, out: Path,
                    progress: Progress | None, *, anno: int | None, chiave: bytes | None,
                    seme: int | None, doppi: Sequence[tuple[str, str]] = (),
                    atti: Mapping[tuple[int, int], AttiProgramma] | None = None) -> RisultatoConsolidato:
    from addin.workbook.consolidation import scrivi_consolidato
    from addin.workbook.reader import leggi_cartella, leggi_griglie

    items: list[RisultatoVerifica | ErroreLettura] = []
    n = len(paths)
    # python-calamine releases the GIL: the files are opened and decoded in worker threads while the
    # main thread parses and checks the workbooks already read, in input order.
    with gil_handoff(), ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1, n)) as pool:
        grids = [pool.submit(leggi_griglie, p) for p in paths]
        for i, (p, fut) in enumerate(zip(paths, grids)):
            if progress:
                progress(f"Lettura {Path(p).name}", 2 * i, 2 * n + 1)
            try:
                c = leggi_cartella(p, config, griglie=fut.result())
            except ErroreInput as exc:
                items.append(ErroreLettura(str(p), exc.testo() if exc.file else f"file «{p}»: {exc.testo()}"))
                continue
            finally:
                grids[i] = None  # release the raw grid as soon as it is parsed
            if progress:
                progress(f"Verifica {Path(p).name}", 2 * i + 1, 2 * n + 1)
            acts = _atti_di(atti, c)
            items.append(esegui_verifica(c, config, data_riferimento, chiave=chiave, seme=seme, atti=acts,
                                         **denaro_registro(acts)))

    if not any(isinstance(x, RisultatoVerifica) for x in items):
        raise ErroreInput("nessuno dei file indicati è un rendiconto leggibile: "
                          + "; ".join(x.messaggio for x in items if isinstance(x, ErroreLettura)))
    if progress:
        progress("Consolidamento", 2 * n, 2 * n + 1)
    r = consolida(items, config, data_riferimento, anno=anno, chiave=chiave, seme=seme, atti=atti)
    r.anomalie[:0] = [Anomalia(A_DUPLICATO_FILE, ATTENZIONE, msg, file=name) for name, msg in doppi]
    if progress:
        progress(f"Scrittura {out.name}", 2 * n, 2 * n + 1)
    scrivi_consolidato(r, out, config)
    r.path = out
    if progress:
        progress("Fatto", 2 * n + 1, 2 * n + 1)
    return r


def build_consolidation_template(config: Config, anno: int):
    """The empty consolidation workbook of a year (also written by `rendiconta modelli`): programmes
    with their configured budget, the charts, empty Azioni/Partner/Anomalie/Spese tables."""
    from addin.workbook.consolidation import build_workbook

    r = consolida([], config, dt.date(anno, 1, 1), anno=anno)
    r.anomalie.clear()
    wb, _ = build_workbook(r, config)
    return wb


# --- JSON -----------------------------------------------------------------------------------------------

def _d(v: Decimal | None) -> str | None:
    return None if v is None else money_str(v)


def risultato_json(r: RisultatoConsolidato) -> dict:
    def prog(row: RigaProgramma) -> dict:
        liq = row.liquidazione
        return {
            "codice": row.codice, "nome": row.nome, "file": row.file, "presente": row.presente,
            "budget_comunale": _d(row.budget_comunale), "budget_cofinanziamento": _d(row.budget_cofin),
            "rendicontato": _d(row.rendicontato), "ammesso": _d(row.ammesso),
            "non_ammesso": _d(row.non_ammesso), "da_integrare": _d(row.da_integrare),
            "escluso": _d(row.escluso), "righe": row.righe,
            "cofinanziamento_realizzato": _d(row.cofin.totale),
            "quota_cofinanziamento": f"{row.quota.quota:.6f}" if row.quota else None,
            "quota_rispettata": row.quota.rispettato if row.quota else None,
            "vincolante": row.vincolante,
            "contributo_finale": _d(liq.contributo_finale) if liq else None,
            "saldo": _d(liq.saldo) if liq else None,
            "cofinanziamento_monetario": _d(row.cofin.monetario),
            "cofinanziamento_monetario_dichiarato": _d(row.cofin.monetario_dichiarato),
            "cofinanziamento_minimo": _d(row.quota.minimo) if row.quota else None,
            "cofinanziamento_mancante": _d(row.quota.mancante) if row.quota else None,
            "riduzione_quota": _d(row.riduzione_quota),
            "saldo_dopo_riduzione": _d(row.saldo_dopo_riduzione),
            "doppio_finanziamento": _d(row.doppio_finanziamento),
            "ore_eccedenti": _d(row.ore_eccedenti),
            "pagamenti": pagamenti_json(row.pagamenti),   # null: register not consulted (and for the ATS)
        }

    return {
        "anno": r.anno, "data_riferimento": r.data_riferimento.isoformat(),
        "file": str(r.path) if r.path else None,
        "programmi": [prog(x) for x in r.programmi], "ats": prog(r.ats),
        "programmi_mancanti": r.programmi_mancanti,
        "file_non_leggibili": [{"file": e.path, "errore": e.messaggio} for e in r.errori],
        "file_esclusi": r.esclusi,
        "anomalie": [{"tipo": a.tipo, "gravita": a.gravita, "descrizione": a.descrizione,
                      "programma": a.programma, "file": a.file, "riga": a.riga, "gruppo": a.gruppo}
                     for a in r.anomalie],
        "finestre": [{"finestra": f.etichetta, "stato": f.stato, "blocco": f.blocco.isoformat()}
                     for f in r.finestre],
        "righe_spese": r.righe_spese,
        "campione": [{"programma": p, "semestre": c.semestre, "seme": c.seme, "origine_seme": c.origine_seme,
                      "provvisorio": c.provvisorio, "persone": c.persone, "dimensione": c.dimensione,
                      "estratti": list(c.estratti),
                      "righe": {k: [{"file": f, "riga": n} for f, n in v] for k, v in c.posizioni.items()}}
                     for p, cs in r.campioni.items() for c in cs],
    }


def print_rows(r: RisultatoConsolidato) -> list[tuple[str, ...]]:
    """The rows of the CLI summary table (Italian formatting)."""
    out = []
    for row in r.programmi + [r.ats]:
        files = (", ".join(Path(f).name for f in row.file) if row.programma else f"{len(row.file)} file") \
            if row.file else "nessun file"
        quota = fmt_pct(row.quota.quota) if (row.quota and row.presente) else "-"
        if row.quota and row.presente and not row.quota.rispettato:
            quota += (" (vincolante!)" if row.riduzione_quota is not None else " (a fine anno)") \
                if row.vincolante else " (indicativa)"
        saldo = fmt_eur(row.liquidazione.saldo) if row.liquidazione else "-"
        if row.riduzione_quota and row.saldo_dopo_riduzione is not None:
            saldo = f"{fmt_eur(row.saldo_dopo_riduzione)} *"
        if row.pagamenti is not None and row.pagamenti.saldo is not None:
            # as the Cruscotto: with the register's payments, contribution due − paid (after any reduction)
            saldo = fmt_eur(row.pagamenti.saldo) + (" *" if row.riduzione_quota else "") + " (pagato)"
        out.append((row.codice, files, fmt_eur(row.rendicontato), fmt_eur(row.ammesso), quota, saldo))
    return out
