"""Deterministic, realistic demo data: a filled programme workbook with a realistic share of problems.

`genera_demo(config, programma, anno, seme)` returns expense, co-financing and budget rows (seeded
random: same seed, same rows); `scrivi_demo(config, path)` writes them into the real template.
The problems planted in the data, so that the check has something to find: missing documents, late
transmission, cash payments, a duplicated invoice, personnel rows whose hours × rate do not match the
amount or lack the hours, a missing payment, an amount above its document, an expense out of period,
an officer's rejection, and overheads above their cap for one partner-heavy month.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from addin.config.models import Config
from addin.rules.budget import VoceBudget
from addin.rules.models import Spesa, VoceCofinanziamento
from addin.rules.money import ZERO, allocate, money
from addin.workbook import schema as S

DATA_DEMO = dt.date(2026, 10, 15)  # windows 1 and 2 locked, window 3 open
SEME_DEMO = 2026

# programme 1's partners (the largest programme); the others draw theirs from the ATS (seeded)
_PARTNERS = ["Consorzio Arcobaleno", "Igea", "Scacco Matto", "Koala", "Sentiero", "Meraki",
             "Insieme per la famiglia", "Cospes"]
_FIRST = ["Giulia", "Marco", "Sara", "Luca", "Chiara", "Paolo", "Elena", "Davide", "Francesca", "Andrea",
          "Martina", "Simone", "Valentina", "Matteo", "Alessia", "Stefano", "Federica", "Roberto", "Silvia",
          "Nicola", "Laura", "Giorgio", "Anna", "Fabio", "Elisa", "Michele", "Irene", "Tommaso", "Beatrice",
          "Lorenzo", "Giada", "Riccardo", "Marta", "Alberto", "Cristina", "Emanuele", "Serena", "Daniele"]
_LAST = ["Bianchi", "Ferrari", "Colombo", "Ricci", "Marino", "Greco", "Bruno", "Gallo", "Conti", "De Luca",
         "Costa", "Giordano", "Mancini", "Rizzo", "Lombardi", "Moretti", "Barbieri", "Fontana", "Santoro",
         "Mariani", "Rinaldi", "Caruso", "Ferrara", "Galli", "Martini", "Leone", "Longo", "Gentile", "Vitali",
         "Pagani", "Bassi", "Crotti", "Donati", "Fumagalli", "Zanotti", "Sala", "Cattaneo", "Bonomi"]
_PEOPLE_PER_PROGRAMME = 60   # each programme's own people: disjoint slices of one shuffled list
_SUPPLIERS_BENI = ["Cartoleria Cremasca srl", "Giochi Educativi spa", "Ingrosso Alimentari Lodi",
                   "Libreria Pagine", "Ferramenta Centrale", "Forniture Ufficio Nord srl"]
_SUPPLIERS_SERVIZI = ["Trasporti Cremaschi scarl", "Pulizie Brillanti srl", "Teatro Ragazzi aps",
                      "Piscina Comunale Crema ssd", "Assicurazioni Padane", "Cooperativa Mensa Insieme"]
_PROFESSIONALS = ["Dott.ssa Laura Verdi (psicologa)", "Dott. Pietro Neri (pedagogista)",
                  "Maria Russo (educatrice libera professionista)", "Studio Logopedia Crema",
                  "Dott. Carlo Villa (supervisore)"]
_BENI = ["Materiale didattico", "Materiale di cancelleria", "Giochi per la prima infanzia",
         "Materiale per laboratori creativi", "Merende per il centro estivo", "Libri per la biblioteca 0-6"]
_SERVIZI = ["Trasporto uscite didattiche", "Pulizia locali", "Spettacolo teatrale per famiglie",
            "Ingressi piscina centro estivo", "Polizza infortuni partecipanti", "Servizio mensa centro estivo"]
_GENERALI = ["Utenze sede (quota)", "Affitto sede (quota di riparto)", "Telefonia e connettività (quota)",
             "Consulenza paghe (quota)"]
_MODALITA = ["Bonifico", "Bonifico", "Bonifico", "Bonifico", "Carta di credito o debito", "RID/SDD"]

@dataclass
class DatiDemo:
    spese: list[Spesa]
    cofinanziamento: list[VoceCofinanziamento]
    budget: list[VoceBudget]


def _cents(rnd: random.Random, lo: float, hi: float) -> Decimal:
    return money(Decimal(rnd.randint(int(lo * 100), int(hi * 100))) / 100)


def _lock_of(config: Config, d: dt.date) -> dt.date:
    from addin.rules.windows import finestra_di

    return finestra_di(config, d).blocco


def _persone(programma: int, n: int) -> list[str]:
    """`n` names that only programme `programma` uses (the same in every run)."""
    everyone = [f"{f} {last}" for last in _LAST for f in _FIRST]
    random.Random(7).shuffle(everyone)
    start = (programma - 1) * _PEOPLE_PER_PROGRAMME
    return everyone[start:start + min(n, _PEOPLE_PER_PROGRAMME)]


def _partner_programma(config: Config, programma: int, rnd: random.Random) -> list[str]:
    if programma == 1:
        return list(_PARTNERS)
    names = [p.nome for p in config.partner]
    lead = config.capofila.nome
    others = [n for n in names if n != lead]
    return [lead, *rnd.sample(others, min(len(others), 3 + programma % 4))]


def genera_demo(config: Config, programma: int = 1, anno: int = 2026, seme: int = SEME_DEMO,
                fino_al: dt.date | None = None) -> DatiDemo:
    """Realistic rows of one programme from January up to `fino_al` (default: DATA_DEMO in `anno`):
    its own actions, partners and people, spending in proportion to its budget (programme 1, the
    largest, has several hundred rows), document numbers that are the programme's own."""
    rnd = random.Random(seme * 10 + programma if programma != 1 else seme)
    prog = config.programma(programma)
    actions = prog.codici_azioni
    cat = {c.codice: c.nome for c in config.categorie}
    end = fino_al or DATA_DEMO.replace(year=anno)
    last_month = end.month if end.year == anno else 12
    spese: list[Spesa] = []
    b = prog.budget_anno(anno)
    # reported so far ~ 75% of the pro-rata budget; programme 1 (810,897.48 € in 2026) is the unit
    scale = float((b.comunale + b.cofinanziamento) / Decimal("810897.48")) * last_month / 10
    partners = _partner_programma(config, programma, rnd)
    seq = iter(range(1, 100_000))

    def n_of(base: int, least: int = 2) -> int:
        return max(least, round(base * scale))

    def pick(rows: list, k: int) -> list:
        return rnd.sample(rows, min(k, len(rows)))

    def tx_date(d: dt.date) -> dt.date:
        # transmitted some days after payment, before the lock of its window
        lock = _lock_of(config, d)
        t = d + dt.timedelta(days=rnd.randint(5, 40))
        return min(t, lock - dt.timedelta(days=rnd.randint(1, 10)), end)

    def add(**kw) -> Spesa:
        s = Spesa(riga=0, **kw)
        spese.append(s)
        return s

    # personnel: each person works for one partner on one or two actions, a row per month
    people = []
    names = _persone(programma, n_of(24, 1))
    for i, name in enumerate(names):
        partner = partners[i % len(partners)]
        rate = _cents(rnd, 19.5, 29.0)
        people.append((name, partner, rnd.choice(actions), rate))
    for month in range(1, last_month + 1):
        for name, partner, action, rate in people:
            if rnd.random() < 0.12:  # not every person every month
                continue
            pay = dt.date(anno, month, 27)
            if pay > end:
                continue
            hours = Decimal(rnd.choice([20, 30, 40, 48, 60, 64, 72, 80]) // (4 if scale < 0.1 else 1))  # part-time
            amount = money(hours * rate)
            add(azione=action, partner=partner, categoria=cat["PERSONALE_INTERNO"],
                descrizione=f"Ore di {name} - {pay:%m/%Y}", fornitore=name, tipo_documento="Cedolino",
                numero_documento=f"CED-P{programma}-{pay:%Y%m}-{names.index(name) + 1:02d}", data_documento=pay,
                data_pagamento=pay, modalita_pagamento="Bonifico", importo_documento=money(amount * Decimal("1.6")),
                importo=amount, persona=name, ore=hours, costo_orario=rate, doc_giustificativo=True,
                doc_conservata=True, doc_trasmessa=True, data_trasmissione=tx_date(pay))

    def random_day(month: int) -> dt.date:
        d = dt.date(anno, month, rnd.randint(1, 28))
        return min(d, end - dt.timedelta(days=3))

    def other(n: int, code: str, descr: Sequence[str], suppliers: Sequence[str], doc: str, lo: float, hi: float,
              prefix: str) -> None:
        for k in range(n):
            month = rnd.randint(1, last_month)
            d = random_day(month)
            pay = min(d + dt.timedelta(days=rnd.randint(0, 30)), end - dt.timedelta(days=1))
            amount = _cents(rnd, lo, hi)
            supplier = rnd.choice(suppliers)
            person = hours = rate = None
            if config.categoria(code).personale:  # professionals: hours x hourly fee
                person, hours, rate = supplier, Decimal(rnd.randint(6, 40)), _cents(rnd, 35, 70)
                amount = money(hours * rate)
            full = amount if rnd.random() < 0.7 else money(amount * Decimal(rnd.choice(["1.25", "1.5", "2"])))
            add(azione=rnd.choice(actions), partner=rnd.choice(partners), categoria=cat[code],
                descrizione=rnd.choice(descr), fornitore=supplier, tipo_documento=doc,
                numero_documento=f"{prefix}{programma}{next(seq):04d}/{anno}", data_documento=d, data_pagamento=pay,
                modalita_pagamento=rnd.choice(_MODALITA), importo_documento=full, importo=amount,
                persona=person, ore=hours, costo_orario=rate,
                doc_giustificativo=True, doc_conservata=True, doc_trasmessa=True, data_trasmissione=tx_date(pay))

    other(n_of(40, 1), "PERSONALE_ESTERNO", ["Supervisione équipe", "Consulenza pedagogica", "Laboratorio logopedico",
                                    "Sportello psicologico genitori"], _PROFESSIONALS, "Notula", 300, 2400, "N")
    other(n_of(70, 3), "BENI", _BENI, _SUPPLIERS_BENI, "Fattura", 40, 1400, "FT")
    other(n_of(40), "SERVIZI", _SERVIZI, _SUPPLIERS_SERVIZI, "Fattura", 250, 4800, "FS")
    other(n_of(22, 1), "SPESE_GENERALI", _GENERALI, ["A2A Energia", "Immobiliare San Marco", "TIM", "Studio Paghe Rossi"],
          "Fattura", 90, 700, "G")

    # --- the problems -------------------------------------------------------------------
    personnel = [s for s in spese if s.persona]
    goods = [s for s in spese if s.categoria == cat["BENI"]]
    early = [s for s in spese if s.data_pagamento and s.data_pagamento.month <= 4 and not s.persona]
    recent = [s for s in spese if s.data_pagamento and s.data_pagamento.month >= 9 and not s.persona]
    mid = [s for s in spese if s.data_pagamento and 5 <= s.data_pagamento.month <= 8 and not s.persona]
    for s in pick(early, n_of(3, 1)) + pick(mid, n_of(2, 1)):  # late transmission
        s.data_trasmissione = _lock_of(config, s.data_pagamento) + dt.timedelta(days=rnd.randint(3, 40))
    for s in pick(recent, n_of(4, 1)):  # documents still to transmit (window open)
        s.doc_trasmessa, s.data_trasmissione = False, None
    for s in pick([s for s in mid if s.doc_trasmessa], n_of(2, 1)):  # never kept: excluded after the lock
        s.doc_conservata = False
    for s in pick(goods, n_of(3, 1)):  # cash
        s.modalita_pagamento = "Contanti"
        s.importo = s.importo_documento = _cents(rnd, 15, 90)
    dup = rnd.choice([s for s in goods if s.modalita_pagamento != "Contanti"])  # duplicated invoice
    twin = Spesa(**{k: getattr(dup, k) for k in Spesa.__slots__ if k not in ("errori",)})
    twin.importo = twin.importo_documento = dup.importo_documento = dup.importo
    twin.azione = rnd.choice([a for a in actions if a != dup.azione] or actions)
    spese.append(twin)
    for s in pick(personnel, n_of(3, 1)):  # hours x rate inconsistent
        s.importo = money(s.importo + _cents(rnd, 40, 300))
    for s in pick(personnel, n_of(2, 1)):  # hours missing
        s.ore = None
    for s in pick([s for s in recent if s.data_pagamento], n_of(2, 1)):  # not yet paid
        s.data_pagamento, s.modalita_pagamento = None, None
    over = rnd.choice([s for s in spese if not s.persona and s.importo_documento and s.modalita_pagamento])
    over.importo = money(over.importo_documento + _cents(rnd, 50, 200))  # above the document
    old = rnd.choice(goods)  # an invoice of the previous year
    old.data_documento = dt.date(anno - 1, 12, rnd.randint(1, 20))
    old.data_pagamento = dt.date(anno - 1, 12, 28)
    rejected = rnd.choice([s for s in spese if s.categoria == cat["SERVIZI"]])
    rejected.decisione_comune = "Non ammessa"
    rejected.motivazione_comune = "Spesa non pertinente alle attività dell'azione"
    add(azione=actions[0], partner="Cooperativa Esterna Alfa", categoria=cat["BENI"],
        descrizione="Materiale acquistato da soggetto non dell'ATS", fornitore="Cartoleria Cremasca srl",
        tipo_documento="Fattura", numero_documento=f"FT{programma}900/{anno}", data_documento=dt.date(anno, 3, 3),
        data_pagamento=dt.date(anno, 3, 10), modalita_pagamento="Bonifico", importo_documento=Decimal("210.00"),
        importo=Decimal("210.00"), doc_giustificativo=True, doc_conservata=True, doc_trasmessa=True,
        data_trasmissione=dt.date(anno, 4, 2))
    add(azione=actions[1 % len(actions)], partner=partners[1 % len(partners)], categoria="Interessi passivi",
        descrizione="Interessi sul fido bancario", fornitore="Banca Popolare", tipo_documento="Estratto conto",
        numero_documento=f"EC-P{programma}-03/{anno}", data_documento=dt.date(anno, 3, 31), data_pagamento=dt.date(anno, 3, 31),
        modalita_pagamento="RID/SDD", importo_documento=Decimal("84.30"), importo=Decimal("84.30"),
        doc_giustificativo=True, doc_conservata=True, doc_trasmessa=True, data_trasmissione=dt.date(anno, 4, 20))

    # deliberate cross-programme duplicates (the capofila's consolidation finds them: double funding)
    if programma in (1, 2):   # the same invoice charged in full to two programmes
        add(azione=actions[0], partner=partners[0], categoria=cat["BENI"], descrizione="Arredi per lo spazio compiti",
            fornitore="Forniture Ufficio Nord srl", tipo_documento="Fattura", numero_documento=f"FT-0456/{anno}",
            data_documento=dt.date(anno, 3, 12), data_pagamento=dt.date(anno, 3, 30), modalita_pagamento="Bonifico",
            importo_documento=Decimal("1830.00"), importo=Decimal("1830.00"), doc_giustificativo=True,
            doc_conservata=True, doc_trasmessa=True, data_trasmissione=dt.date(anno, 4, 15))
    if programma in (5, 6):   # a professional's fee note charged in full to two programmes
        add(azione=actions[-1], partner=partners[0], categoria=cat["PERSONALE_ESTERNO"],
            descrizione="Supervisione équipe (marzo)", fornitore="Dott. Carlo Villa (supervisore)",
            tipo_documento="Notula", numero_documento=f"N-77/{anno}", data_documento=dt.date(anno, 3, 31),
            data_pagamento=dt.date(anno, 4, 10), modalita_pagamento="Bonifico", importo_documento=Decimal("2400.00"),
            importo=Decimal("2400.00"), persona="Dott. Carlo Villa (supervisore)", ore=Decimal(40),
            costo_orario=Decimal("60.00"), doc_giustificativo=True, doc_conservata=True, doc_trasmessa=True,
            data_trasmissione=dt.date(anno, 4, 20))

    # the rows as a partner would have typed them: grouped by month
    spese.sort(key=lambda s: (s.data_documento or end, s.partner or ""))
    for i, s in enumerate(spese):
        s.riga = 4 + i

    # co-financing: monetary, non-monetary and volunteers (valued at most at the volunteer rate)
    cofin: list[VoceCofinanziamento] = []
    r = 4
    for partner in partners[:5]:
        cofin.append(VoceCofinanziamento(r, partner, rnd.choice(actions), S.TIPI_COFIN["MONETARIO"],
                                         "Quota di risorse proprie", None,
                                         money(_cents(rnd, 2500, 6000) * Decimal(str(min(1.0, scale))))))
        r += 1
    def month_of(k: int) -> dt.date:
        # the month the resource was given or the hours were done: spread over the months reported so far
        # (no random draw: the figures of the rows above and below stay those of earlier versions)
        return dt.date(anno, 1 + k % last_month, 1)

    for partner, what in zip(partners, ("Uso locali sede (ore)", "Pulmino 9 posti (giorni)",
                                         "Attrezzature ludiche", "Coordinamento volontario")):
        cofin.append(VoceCofinanziamento(r, partner, rnd.choice(actions), S.TIPI_COFIN["NON_MONETARIO"], what,
                                         Decimal(rnd.randint(20, 120)), _cents(rnd, 15, 60), month_of(r)))
        r += 1
    for partner in partners[-3:]:
        for action in actions[:3]:
            cofin.append(VoceCofinanziamento(r, partner, action, S.TIPI_COFIN["VOLONTARIATO"],
                                             "Ore di volontariato (accompagnamento e animazione)",
                                             Decimal(max(8, round(rnd.randint(60, 220) * min(1.0, scale)))),
                                             Decimal(rnd.choice(["18.00", "20.07", "25.00"])), month_of(r)))
            r += 1

    # budget: the programme's yearly budget split over actions x categories
    weights = {"PERSONALE_INTERNO": 55, "PERSONALE_ESTERNO": 12, "BENI": 10, "SERVIZI": 16, "SPESE_GENERALI": 7}
    keys = [(a, c) for a in actions for c in weights]
    w = [Decimal(weights[c] * (3 if i == 0 else 2)) for i, (a, c) in enumerate(keys)]
    com = allocate(b.comunale, w)
    cof = allocate(b.cofinanziamento, w)
    budget = [VoceBudget(a, c, comunale_iniziale=x, cofin_iniziale=y) for (a, c), x, y in zip(keys, com, cof)]
    if budget:  # a July variation moving money between two lines
        moved = money(budget[0].comunale_iniziale * Decimal("0.05"))
        budget[0].comunale_luglio = -moved
        budget[1].comunale_luglio = moved
    return DatiDemo(spese, cofin, budget)


def cartella_compilata(config: Config, programma: int, anno: int, spese: Sequence[Spesa],
                       cofinanziamento: Sequence[VoceCofinanziamento] = (), budget: list[VoceBudget] | None = None):
    """An openpyxl workbook built from the real template and filled with the rows."""
    from addin.workbook.filler import fill_workbook
    from addin.workbook.template import build_template

    wb = build_template(config, programma, anno)
    fill_workbook(wb, list(spese), list(cofinanziamento), budget)
    return wb


def scrivi_demo(config: Config, path: str | Path, programma: int = 1, anno: int = 2026,
                seme: int = SEME_DEMO) -> Path:
    from addin.output import scrivi_atomico

    d = genera_demo(config, programma, anno, seme)
    wb = cartella_compilata(config, programma, anno, d.spese, d.cofinanziamento, d.budget)
    return scrivi_atomico(path, wb.save, "la cartella dimostrativa")


def totale(spese: Sequence[Spesa]) -> Decimal:
    return sum((s.importo or ZERO for s in spese), ZERO)
