"""Eligibility of expense rows: each row gets an outcome, an admitted amount and its reasons."""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from addin.config.models import Config, Programma
from addin.rules.catalogue import effetto
from addin.rules.lookup import Lookup, lookup_for, norm
from addin.rules.models import Esito, EsitoRiga, Motivo, Spesa
from addin.rules.money import ZERO, allocate, fmt_eur, fmt_num, money
from addin.rules.windows import FinestraAnno, finestra_di, finestre_anno

_NO_DECISIONS = {"non ammessa", "non ammesso", "respinta", "respinto", "no", "rigettata", "esclusa"}


@dataclass
class Contesto:
    """Everything a check depends on besides the rows; the reference date is always explicit."""

    config: Config
    programma: int
    anno: int
    data_riferimento: dt.date
    # reasons found outside the rules (seals), by row number
    motivi_extra: Mapping[int, list[Motivo]] = field(default_factory=dict)


def data_competenza(config: Config, s: Spesa) -> dt.date | None:
    """The competence date of an expense: for personnel the month the pay slip refers to (column
    «Mese di competenza», its first day) when given, else the document date."""
    if s.mese_competenza is not None:
        cat = lookup_for(config).categoria(s.categoria)
        if cat is not None and cat.personale:
            return s.mese_competenza
    return s.data_documento


def data_decisiva(config: Config, s: Spesa) -> dt.date | None:
    """The date that decides the year and the window of an expense (`regole.data_decisiva`): its
    competence date (default), else the payment date; or, with "pagamento", the payment date, else
    the document date."""
    if config.regole.data_decisiva == "pagamento":
        return s.data_pagamento or s.data_documento
    return data_competenza(config, s) or s.data_pagamento


@functools.lru_cache(maxsize=4096)   # perf: the same few hundred dates on thousands of rows
def _fmt_date(d: dt.date) -> str:
    return d.strftime("%d/%m/%Y")


@dataclass(frozen=True, slots=True)
class _RowConstants:
    """What the row checks need that does not change from row to row (computed once per check)."""

    lk: Lookup
    prog: Programma
    inizio: dt.date          # first day of the co-design
    start: dt.date           # first and last day of the reporting year within the co-design
    end: dt.date
    contanti: Decimal        # configured cash allowance (0: none)
    tolleranza: Decimal      # personnel: hours × rate vs amount
    per_pagamento: bool      # regole.data_decisiva == "pagamento" (else by competence)
    membri: Mapping[str, str]  # the ATS members by normalised supplier name (norm_fornitore) -> name

    @classmethod
    def of(cls, ctx: Contesto) -> _RowConstants:
        cfg = ctx.config
        return cls(lookup_for(cfg), cfg.programma(ctx.programma), cfg.periodo.inizio,
                   max(cfg.periodo.inizio, dt.date(ctx.anno, 1, 1)), min(cfg.periodo.fine, dt.date(ctx.anno, 12, 31)),
                   money(cfg.limiti.contanti_massimo), cfg.regole.tolleranza_personale,
                   cfg.regole.data_decisiva == "pagamento",
                   {norm_fornitore(n): p.nome for p in cfg.partner for n in (p.nome, *p.alias)})


def _row_reasons(ctx: Contesto, k: _RowConstants, s: Spesa, importo: Decimal, win: FinestraAnno | None,
                 decisive: dt.date | None) -> tuple[list[Motivo], Decimal]:
    """Per-row checks. Returns the reasons and the amount left after row-level reductions."""
    lk = k.lk
    out: list[Motivo] = list(s.errori)
    add = out.append
    ammesso = importo

    # amount (as rounded to cents: 0.004 is nothing)
    if importo <= 0:
        if not any(m.codice == "IMPORTO_NON_VALIDO" for m in out):
            add(Motivo("IMPORTO_NON_VALIDO", "Importo rendicontato mancante, nullo o negativo."))
    elif s.importo_documento is not None:
        if s.importo_documento <= 0:
            add(Motivo("IMPORTO_NON_VALIDO", "Importo del documento nullo o negativo."))
        elif importo > s.importo_documento:
            ammesso = money(s.importo_documento)
            add(Motivo("IMPORTO_OLTRE_DOCUMENTO",
                       f"Importo rendicontato {fmt_eur(importo)} superiore all'importo del documento "
                       f"{fmt_eur(s.importo_documento)}: non ammessi {fmt_eur(importo - ammesso)}."))

    # costs funders reject inside an eligible amount: recoverable VAT, other funding of the same cost
    for code, value, what in (("IVA_DETRAIBILE", s.iva_detraibile, "IVA detraibile"),
                              ("ALTRI_CONTRIBUTI", s.altri_contributi, "Altri contributi sulla spesa")):
        if value is not None and value > 0 and ammesso > 0:
            cut = min(ammesso, money(value))
            ammesso -= cut
            add(Motivo(code, f"{what} {fmt_eur(money(value))}: non ammessi {fmt_eur(cut)}."))

    # category
    cat = lk.categoria(s.categoria)
    if cat is None:
        if not s.categoria:
            add(Motivo("CATEGORIA_NON_AMMISSIBILE", "Categoria di spesa mancante."))
        elif (na := lk.costo_non_ammissibile(s.categoria)) is not None:
            add(Motivo("CATEGORIA_NON_AMMISSIBILE", f"«{na}» è un costo non ammissibile."))
        else:
            add(Motivo("CATEGORIA_NON_AMMISSIBILE", f"«{s.categoria}» non è una categoria di spesa ammissibile."))

    # action
    if lk.azione(k.prog, s.azione) is None:
        if not s.azione:
            add(Motivo("AZIONE_NON_DEL_PROGRAMMA", "Azione mancante."))
        else:
            add(Motivo("AZIONE_NON_DEL_PROGRAMMA",
                       f"L'azione «{s.azione}» non appartiene al programma {k.prog.codice} "
                       f"(azioni: {', '.join(k.prog.codici_azioni)})."))

    # partner
    if lk.partner(s.partner) is None:
        if not s.partner:
            add(Motivo("PARTNER_NON_ATS", "Partner mancante."))
        else:
            add(Motivo("PARTNER_NON_ATS", f"«{s.partner}» non è un componente dell'ATS {ctx.config.ats}."))
    # a supplier that is itself an ATS member: a purchase between partners, for the Comune to decide
    if s.fornitore and (member := k.membri.get(norm_fornitore(str(s.fornitore)))) is not None:
        add(Motivo("FORNITORE_PARTNER_ATS",
                   f"Il fornitore «{s.fornitore}» è un componente dell'ATS ({member}): acquisto tra partner, "
                   f"il {ctx.config.ente} decide se ammetterlo."))

    # period: the year of an expense is the year of its deciding date (by default its competence)
    out_of_period = False
    if decisive is not None:
        if not k.start <= decisive <= k.end:
            out_of_period = True
            if k.per_pagamento:
                what = f"Spesa sostenuta il {_fmt_date(decisive)}"
            elif s.mese_competenza is not None and decisive == s.mese_competenza:
                what = f"Spesa di competenza del mese {decisive:%m/%Y}"
            else:
                what = f"Spesa di competenza del {_fmt_date(decisive)}"
            add(Motivo("DATA_FUORI_PERIODO", f"{what}, fuori dall'anno {ctx.anno} della rendicontazione."))
        elif s.data_documento is not None and s.data_documento < k.inizio:
            out_of_period = True
            add(Motivo("DATA_FUORI_PERIODO",
                       f"Documento del {_fmt_date(s.data_documento)}, anteriore all'inizio della "
                       f"co-progettazione ({_fmt_date(k.inizio)})."))
        elif k.per_pagamento and s.data_documento is not None and s.data_pagamento is not None \
                and s.data_documento > k.end:
            out_of_period = True
            add(Motivo("DATA_FUORI_PERIODO",
                       f"Documento del {_fmt_date(s.data_documento)}, successivo all'anno {ctx.anno}."))

    # payment: by the reference date, and no later than the lock of the expense's window
    if s.data_pagamento is None or not s.modalita_pagamento:
        missing = [n for n, v in (("data", s.data_pagamento), ("modalità", s.modalita_pagamento)) if not v]
        add(Motivo("PAGAMENTO_MANCANTE", f"Pagamento non documentato: manca {' e '.join(missing)} di pagamento."))
    elif not out_of_period:
        paid, ref = s.data_pagamento, ctx.data_riferimento
        if win is not None and paid > win.blocco and (paid <= ref or win.chiusa(ref)):
            add(Motivo("PAGAMENTO_TARDIVO",
                       f"Pagamento datato {_fmt_date(paid)}, dopo il blocco della finestra {win.etichetta} "
                       f"({_fmt_date(win.blocco)}): spesa esclusa."))
        elif paid > ref:
            add(Motivo("PAGAMENTO_MANCANTE",
                       f"Pagamento datato {_fmt_date(paid)}, dopo la data di riferimento "
                       f"{_fmt_date(ref)}: la spesa non risulta ancora quietanzata."))
    if s.modalita_pagamento:
        mod = lk.modalita(s.modalita_pagamento)
        if mod is None or not mod.tracciabile:
            cap = k.contanti
            label = mod.nome if mod else s.modalita_pagamento
            if cap <= 0 or mod is None:
                add(Motivo("PAGAMENTO_NON_TRACCIABILE", f"Pagamento «{label}» non tracciabile: spesa non ammessa."))
            elif ammesso > cap:  # a configured cash allowance: admitted up to it
                add(Motivo("CONTANTI_OLTRE_LIMITE",
                           f"Pagamento «{label}» non tracciabile: ammesso fino a {fmt_eur(cap)}, "
                           f"non ammessi {fmt_eur(ammesso - cap)}."))
                ammesso = cap

    # documents
    if not (s.doc_giustificativo is True and s.doc_conservata is True and s.doc_trasmessa is True):
        missing_docs = [n for n, v in (("giustificativo", s.doc_giustificativo),
                                       ("conservazione agli atti", s.doc_conservata),
                                       ("trasmissione al Comune", s.doc_trasmessa)) if v is not True]
        add(Motivo("DOCUMENTAZIONE_MANCANTE", f"Documentazione mancante: {', '.join(missing_docs)}."))
    elif s.data_trasmissione is None:
        add(Motivo("DOCUMENTAZIONE_MANCANTE", "Documentazione dichiarata trasmessa ma senza data di trasmissione."))
    elif win is not None and not out_of_period:
        # a transmission dated after the reference date has not happened yet: late only once the lock has passed
        sent, ref = s.data_trasmissione, ctx.data_riferimento
        if sent > win.blocco and (sent <= ref or win.chiusa(ref)):
            add(Motivo("TRASMISSIONE_TARDIVA",
                       f"Documentazione trasmessa il {_fmt_date(sent)}, dopo il blocco della "
                       f"finestra {win.etichetta} ({_fmt_date(win.blocco)})."))
        elif sent > ref:
            add(Motivo("DOCUMENTAZIONE_MANCANTE",
                       f"Trasmissione al Comune datata {_fmt_date(sent)}, dopo la data di riferimento "
                       f"{_fmt_date(ref)}: la documentazione non risulta ancora trasmessa."))

    # personnel
    if cat is not None and cat.personale:
        absent = [n for n, v in (("persona", s.persona), ("ore", s.ore), ("costo orario", s.costo_orario))
                  if v is None or v == ""]
        if absent:
            add(Motivo("PERSONALE_DATI_MANCANTI", f"Spesa di personale senza {', '.join(absent)}."))
        elif s.ore <= 0 or s.costo_orario <= 0:
            add(Motivo("PERSONALE_DATI_MANCANTI", "Ore e costo orario devono essere positivi."))
        elif importo > 0:
            # a claim above hours × rate (beyond the tolerance) is admitted for hours × rate
            expected = money(s.ore * s.costo_orario)
            if importo - expected > k.tolleranza and ammesso > expected:
                add(Motivo("PERSONALE_IMPORTO_INCOERENTE",
                           f"Ore × costo orario = {fmt_eur(expected)}, importo rendicontato {fmt_eur(importo)} "
                           f"(differenza oltre {fmt_eur(k.tolleranza)}): ammessi {fmt_eur(expected)}, "
                           f"non ammessi {fmt_eur(ammesso - expected)}."))
                ammesso = expected

    # the Comune's decision
    if s.decisione_comune and norm(s.decisione_comune) in _NO_DECISIONS:
        why = (s.motivazione_comune or "").strip()
        add(Motivo("DECISIONE_COMUNE", f"Non ammessa dal Comune: {why}" if why
                   else "Non ammessa dal Comune (motivazione non indicata)."))

    if ctx.motivi_extra:
        out.extend(ctx.motivi_extra.get(s.riga, ()))
    return out, ammesso


def valuta_spese(spese: Sequence[Spesa], ctx: Contesto) -> list[EsitoRiga]:
    """Apply every rule to the expense rows of one programme workbook for one year."""
    cfg = ctx.config
    lk = lookup_for(cfg)
    constants = _RowConstants.of(ctx)
    last_lock = finestre_anno(cfg, ctx.anno)[-1].blocco
    results: list[EsitoRiga] = []
    windows_seen: dict[dt.date, FinestraAnno] = {}
    for s in spese:
        importo = money(s.importo) if s.importo is not None and s.importo > 0 else ZERO
        decisive = data_decisiva(cfg, s)
        win = None
        if decisive is not None:  # perf: one window lookup per distinct date
            win = windows_seen.get(decisive)
            if win is None:
                win = windows_seen[decisive] = finestra_di(cfg, decisive)
        motivi, ammesso = _row_reasons(ctx, constants, s, importo, win, decisive)
        if not motivi:
            esito = Esito.AMMESSA if ammesso > 0 else Esito.NON_AMMESSA
        else:
            effects = {effetto(m.codice) for m in motivi}
            if "non_ammessa" in effects:
                esito, ammesso = Esito.NON_AMMESSA, ZERO
            elif "esclusa" in effects:
                esito, ammesso = Esito.ESCLUSA, ZERO
            elif "integrabile" in effects:
                closed = win.chiusa(ctx.data_riferimento) if win is not None else ctx.data_riferimento > last_lock
                esito, ammesso = (Esito.ESCLUSA if closed else Esito.DA_INTEGRARE), ZERO
                if closed:
                    when = _fmt_date(win.blocco if win is not None else last_lock)
                    motivi = [Motivo(m.codice, f"{m.messaggio} Non integrata entro il blocco del {when}: esclusa.")
                              if effetto(m.codice) == "integrabile" else m for m in motivi]
            else:
                esito = Esito.AMMESSA if ammesso > 0 else Esito.NON_AMMESSA
        results.append(EsitoRiga(s.riga, esito, importo, ammesso, motivi,
                                 win.numero if win is not None and win.anno == ctx.anno else None, decisive))

    _cap_hours(ctx, spese, results, lk)
    _cap_duplicates(spese, results)
    _cap_overheads(ctx, spese, results, lk)
    return results


def codice_fiscale(text: object) -> str:
    """A tax code as compared: upper case, without spaces and punctuation ("" when empty)."""
    return _codice_fiscale(str(text or ""))


@functools.lru_cache(maxsize=1 << 16)     # perf: the same person's code on every payslip, several calls a row
def _codice_fiscale(text: str) -> str:
    return "".join(c for c in text.upper() if c.isalnum())


def codici_dei_nomi(spese: Iterable[Spesa]) -> dict[str, set[str]]:
    """Normalised name -> the tax codes written with it on the rows (to identify rows without one)."""
    out: dict[str, set[str]] = {}
    for s in spese:
        cf, key = codice_fiscale(s.codice_fiscale), norm(s.persona)
        if cf and key:
            out.setdefault(key, set()).add(cf)
    return out


def chiave_persona(s: Spesa, codici: Mapping[str, set[str]] | None = None) -> str:
    """The identity of the person of a personnel row: its tax code (column «Codice fiscale») when given,
    so that two spellings of the same person are one person and two persons with the same name are two;
    without it, the tax code written with the same name on other rows (`codici`, codici_dei_nomi) when
    there is exactly one, else the normalised name. "" when the row names nobody."""
    cf = codice_fiscale(s.codice_fiscale)
    key = norm(s.persona)
    if not cf and key and codici:
        known = codici.get(key, set())
        cf = next(iter(known)) if len(known) == 1 else ""
    return f"cf:{cf}" if cf else f"nome:{key}" if key else ""


def ore_persona_mese(config: Config, spese: Sequence[Spesa], results: Sequence[EsitoRiga],
                     ) -> dict[tuple[str, int, int], list[int]]:
    """Personnel rows that count towards the monthly hours of a person: (person, year, month) ->
    indexes of the rows (not NON_AMMESSA or ESCLUSA, with hours), the month being the competence month;
    the person as chiave_persona identifies it (the tax code first)."""
    lk = lookup_for(config)
    groups: dict[tuple[str, int, int], list[int]] = defaultdict(list)
    codici = codici_dei_nomi(spese)
    for i, s in enumerate(spese):
        r = results[i]
        d = r.data_decisiva
        if d is None or r.esito in (Esito.NON_AMMESSA, Esito.ESCLUSA) or s.ore is None or s.ore <= 0:
            continue
        cat = lk.categoria(s.categoria)
        person = chiave_persona(s, codici)
        if cat is None or not cat.personale or not person:
            continue
        groups[(person, d.year, d.month)].append(i)
    return groups


_ROWS_SHOWN = 6   # rows of a person-month named in each message (the rest counted)


def _cap_hours(ctx: Contesto, spese: Sequence[Spesa], results: list[EsitoRiga], lk: Lookup) -> None:
    """Hours of a person in a month above `limiti.ore_mese_massime`: the rows that go beyond it (in row
    order) are to be justified while their window is open; once it is locked the excess hours are
    not admitted (hours × the row's hourly cost)."""
    cap = ctx.config.limiti.ore_mese_massime
    for (_, year, month), idxs in ore_persona_mese(ctx.config, spese, results).items():
        total = sum((spese[i].ore for i in idxs), Decimal(0))
        if total <= cap:
            continue
        idxs = sorted(idxs, key=lambda i: spese[i].riga)
        # the same for every row of the group
        shown = ", ".join(str(spese[i].riga) for i in idxs[:_ROWS_SHOWN])
        if len(idxs) > _ROWS_SHOWN:
            shown += f" e altre {len(idxs) - _ROWS_SHOWN}"
        group = (f"{fmt_num(total)} ore nel mese {month:02d}/{year} (righe {shown}), "
                 f"oltre il massimo di {fmt_num(cap)} ore al mese")
        used = Decimal(0)
        for i in idxs:
            s, r = spese[i], results[i]
            room = max(Decimal(0), cap - used)
            used += s.ore
            excess = s.ore - room
            if excess <= 0:
                continue
            win = finestra_di(ctx.config, r.data_decisiva)
            head = f"{s.persona}: {group}: {fmt_num(excess)} ore di questa riga"
            if not win.chiusa(ctx.data_riferimento):
                r.motivi.append(Motivo("PERSONALE_ORE_ECCESSIVE",
                                       f"{head} da giustificare entro il blocco del {_fmt_date(win.blocco)}."))
                if r.esito is not Esito.DA_INTEGRARE:
                    r.esito, r.importo_ammesso = Esito.DA_INTEGRARE, ZERO
            elif r.esito is Esito.AMMESSA:
                cut = min(r.importo_ammesso, money(excess * (s.costo_orario or ZERO)))
                _reduce(r, r.importo_ammesso - cut, Motivo(
                    "PERSONALE_ORE_ECCESSIVE", f"{head} non giustificate entro il blocco del "
                                               f"{_fmt_date(win.blocco)}: non ammessi {fmt_eur(cut)}."))


# legal forms that may end a supplier's name (after punctuation is dropped): «Rossi srl» = «Rossi S.r.l.»
_LEGAL_FORMS = frozenset({"srl", "srls", "spa", "sas", "snc", "sapa", "scarl", "scrl", "scpa", "ss", "ssd", "ssdrl",
                          "ssdarl", "arl", "onlus", "aps", "odv", "ets", "coop", "soc", "societa", "cooperativa",
                          "sociale", "impresa", "unipersonale"})
_PUNCT = re.compile(r"[^\w\s]")
_GROUPS = re.compile(r"[^\W_]+")
_ASCII_GROUPS = re.compile(r"[a-z0-9]+")           # _GROUPS on casefolded ASCII text
_FROM_ASCII_DIGIT = re.compile(r"[0-9].*", re.DOTALL)


@functools.lru_cache(maxsize=8192)
def norm_fornitore(fornitore: str) -> str:
    """A supplier's name for matching documents: no case, accents, punctuation or trailing legal form
    («Cartoleria Rossi S.r.l.» -> «cartoleria rossi»); the name itself when it is only a legal form."""
    words = _PUNCT.sub(lambda m: "" if m.group() == "." else " ", norm(fornitore)).split()
    kept = list(words)
    while len(kept) > 1 and kept[-1] in _LEGAL_FORMS:
        kept.pop()
    return " ".join(kept)


def norm_numero(numero: str) -> str:
    """A document number for matching: the letters before the first digit (a prefix such as «FT», «F-»,
    «N.») are dropped, the groups of letters and digits are joined by «-» and leading zeros dropped:
    «FT 12» = «F-12» = «12», «12/2026» = «12-2026», «0012» = «12». A number without digits keeps its letters."""
    if numero.isascii():
        # perf: document numbers are nearly all distinct, so ASCII ones bypass norm()'s cache (no accents to
        # strip) and its per-character scans (ASCII letters and digits only)
        text = numero.casefold()
        m = _FROM_ASCII_DIGIT.search(text)
        groups = _ASCII_GROUPS.findall(m.group() if m else text)
    else:
        text = norm(numero)
        first_digit = next((i for i, ch in enumerate(text) if ch.isdigit()), None)
        groups = _GROUPS.findall(text if first_digit is None else text[first_digit:])
    return "-".join(g.lstrip("0") or "0" if g.isdigit() else g for g in groups)


def chiave_documento(fornitore: object, numero: object) -> tuple[str, str] | None:
    """The identity of a document: normalised supplier (norm_fornitore) and number (norm_numero);
    None when either is missing."""
    if numero is None or fornitore is None:
        return None
    f = norm_fornitore(fornitore if isinstance(fornitore, str) else str(fornitore))
    n = norm_numero(numero if isinstance(numero, str) else str(numero))
    return (f, n) if f and n else None


def _reduce(r: EsitoRiga, new_amount: Decimal, motivo: Motivo) -> None:
    r.importo_ammesso = new_amount
    r.motivi.append(motivo)
    if new_amount <= 0:
        r.esito = Esito.NON_AMMESSA
        r.importo_ammesso = ZERO


def _cap_duplicates(spese: Sequence[Spesa], results: list[EsitoRiga]) -> None:
    """The same document (supplier + number, normalised) may be imputed up to 100% of its amount, in row
    order. A claim still DA_INTEGRARE takes its room too (it may be admitted later): a later row is cut
    and the claim itself is told at once that it goes beyond the document. When its copies declare
    different document amounts, the smallest counts and every copy says so."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, s in enumerate(spese):
        key = results[i].documento = chiave_documento(s.fornitore, s.numero_documento)
        if key is not None:
            groups[key].append(i)
    for idxs in groups.values():
        if len(idxs) < 2:
            continue
        idxs = sorted(idxs, key=lambda k: spese[k].riga)
        doc_amounts = sorted({money(spese[i].importo_documento) for i in idxs
                              if spese[i].importo_documento and spese[i].importo_documento > 0})
        cap = doc_amounts[0] if doc_amounts else max(results[i].importo for i in idxs)
        if len(doc_amounts) > 1:
            for i in idxs:
                results[i].motivi.append(Motivo(
                    "IMPORTO_DOCUMENTO_DISCORDANTE",
                    f"Il documento {spese[i].numero_documento} di {spese[i].fornitore} ha importi diversi nelle righe "
                    f"{', '.join(str(spese[k].riga) for k in idxs)} "
                    f"({', '.join(fmt_eur(a) for a in doc_amounts)}): vale il minore, {fmt_eur(cap)}."))
        used = ZERO
        for i in idxs:
            rows = ", ".join(str(spese[k].riga) for k in idxs if k != i)
            r = results[i]
            pending = r.esito is Esito.DA_INTEGRARE
            claim = min(r.importo, cap) if pending else r.importo_ammesso
            if claim <= 0:
                continue
            room = max(ZERO, cap - used)
            used += min(claim, room)
            if claim <= room:
                continue
            cut = claim - room
            head = (f"Documento {spese[i].numero_documento} di {spese[i].fornitore} imputato anche nelle righe "
                    f"{rows} oltre il suo importo ({fmt_eur(cap)})")
            if pending:   # nothing admitted yet: the row is told what it can still get
                r.motivi.append(Motivo("DOCUMENTO_DUPLICATO", f"{head}: una volta integrata, ammissibile al più "
                                                              f"per {fmt_eur(room)}."))
            else:
                _reduce(r, room, Motivo("DOCUMENTO_DUPLICATO", f"{head}: non ammessi {fmt_eur(cut)}."))


def _cap_overheads(ctx: Contesto, spese: Sequence[Spesa], results: list[EsitoRiga], lk) -> None:
    """Overheads are admitted up to a share of the admitted direct costs; the excess is cut pro rata."""
    quota = ctx.config.limiti.spese_generali_quota
    by_partner = ctx.config.limiti.spese_generali_livello == "partner"
    groups: dict[str, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    for i, s in enumerate(spese):
        if results[i].importo_ammesso <= 0:
            continue
        cat = lk.categoria(s.categoria)
        if cat is None:
            continue
        key = norm(s.partner) if by_partner else ""
        groups[key][1 if cat.spese_generali else 0].append(i)
    for direct, overhead in groups.values():
        if not overhead:
            continue
        direct_sum = sum((results[i].importo_ammesso for i in direct), ZERO)
        over_sum = sum((results[i].importo_ammesso for i in overhead), ZERO)
        cap = money(direct_sum * quota)
        if over_sum <= cap:
            continue
        parts = allocate(cap, [results[i].importo_ammesso for i in overhead])
        for i, part in zip(overhead, parts):
            cut = results[i].importo_ammesso - part
            if cut <= 0:
                continue
            _reduce(results[i], part, Motivo(
                "SPESE_GENERALI_OLTRE_LIMITE",
                f"Spese generali {fmt_eur(over_sum)} oltre il {quota * 100:.0f}% dei costi diretti ammessi "
                f"({fmt_eur(cap)}): non ammessi {fmt_eur(cut)}."))


def totali(results: Iterable[EsitoRiga]) -> dict[str, Decimal]:
    t = {"rendicontato": ZERO, "ammesso": ZERO, "non_ammesso": ZERO, "da_integrare": ZERO, "escluso": ZERO}
    for r in results:
        t["rendicontato"] += r.importo
        t["ammesso"] += r.importo_ammesso
        t["non_ammesso"] += r.importo - r.importo_ammesso
        if r.esito is Esito.DA_INTEGRARE:
            t["da_integrare"] += r.importo
        elif r.esito is Esito.ESCLUSA:
            t["escluso"] += r.importo
    return t
