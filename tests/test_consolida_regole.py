"""Rules the consolidation applies across workbooks (issue 11): monthly hours of a person across
partners and programmes, the ATS admitted total net of what is not admissible across workbooks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from addin.casi.consolida import A_DOPPIO, A_ORE, consolida
from addin.rules.models import Esito, Spesa
from addin.workbook.reader import CartellaRendiconto

DATA = dt.date(2026, 10, 15)     # window 1 (Jan-Apr 2026) locked on 31/05/2026


def cedolino(azione: str, persona: str, ore: str, costo: str = "20.00", partner: str = "Igea") -> Spesa:
    """A March 2026 pay slip every rule admits in full on its own: amount = hours × cost."""
    return Spesa(riga=0, azione=azione, partner=partner, categoria="Personale interno", descrizione="Educatore",
                 fornitore=persona, tipo_documento="Cedolino", numero_documento=f"CED-{azione}-{persona}-{ore}",
                 data_documento=dt.date(2026, 3, 31), data_pagamento=dt.date(2026, 4, 10),
                 modalita_pagamento="Bonifico", importo=Decimal(ore) * Decimal(costo), persona=persona,
                 ore=Decimal(ore), costo_orario=Decimal(costo), doc_giustificativo=True, doc_conservata=True,
                 doc_trasmessa=True, data_trasmissione=dt.date(2026, 4, 20))


def _cartella(path: str, programma: int, spese: list[Spesa]) -> CartellaRendiconto:
    for i, s in enumerate(spese):
        s.riga = 4 + i
    return CartellaRendiconto(path, programma, 2026, "1", spese, [], [])


def test_hours_of_one_person_across_programmes():
    # Mario Bianchi in March 2026: 120 h in P1 (Igea) and 80 h in P2 (Koala) = 200 h, 27 beyond 173;
    # Anna Neri: 100 h in P1 and 73 h in P5 = 173 h, exactly the cap
    a = _cartella("p1.xlsx", 1, [cedolino("1.1", "Mario Bianchi", "120"), cedolino("1.1", "Anna Neri", "100")])
    b = _cartella("p2.xlsx", 2, [cedolino("2.1", "mario  bianchi", "80", partner="Koala")])
    c = _cartella("p5.xlsx", 5, [cedolino("5.1", "Anna Neri", "73")])
    r = consolida([a, b, c], cfg_default(), DATA)
    assert all(e.esito is Esito.AMMESSA for f in r.fonti for e in f.esiti)   # each workbook alone is fine
    [ore] = [x for x in r.anomalie if x.tipo == A_ORE]
    # the 27 excess hours are on the P2 row (after P1's 120 h): 27 × 20.00 = 540.00
    assert (ore.file, ore.riga, ore.programma, ore.importo) == ("p2.xlsx", 4, 2, Decimal("540.00"))
    assert "200 ore nel mese 03/2026" in ore.descrizione and "173" in ore.descrizione
    assert r.programmi[1].ore_eccedenti == Decimal("540.00") and r.ats.ore_eccedenti == Decimal("540.00")
    # programme figures stay the check's; the ATS admitted total is net of the excess:
    # 2,400 + 2,000 (P1) + 1,600 (P2) + 1,460 (P5) = 7,460.00 - 540.00 = 6,920.00
    assert [p.ammesso for p in r.programmi[:2]] == [Decimal("4400.00"), Decimal("1600.00")]
    assert r.ats.ammesso == Decimal("6920.00")
    assert r.ats.non_ammesso == Decimal("540.00")


def test_hours_already_cut_by_a_workbook_are_not_cut_twice():
    # P1 alone: 150 + 50 = 200 h, its check cuts 27 h (row 5: 1,000.00 - 540.00 = 460.00); P2 adds 10 h:
    # P1 let 173 h through, so all of P2's 10 h are beyond the cap: 10 × 20.00 = 200.00
    a = _cartella("p1.xlsx", 1, [cedolino("1.1", "Mario Bianchi", "150"), cedolino("1.2", "Mario Bianchi", "50")])
    b = _cartella("p2.xlsx", 2, [cedolino("2.1", "Mario Bianchi", "10", partner="Koala")])
    r = consolida([a, b], cfg_default(), DATA)
    assert [e.importo_ammesso for e in r.fonti[0].esiti] == [Decimal("3000.00"), Decimal("460.00")]
    assert [(x.file, x.importo) for x in r.anomalie if x.tipo == A_ORE] == [("p2.xlsx", Decimal("200.00"))]
    # 3,000 + 460 + 200 = 3,660.00 - 200.00
    assert r.ats.ammesso == Decimal("3460.00")


def test_no_anomaly_within_one_workbook_only():
    a = _cartella("p1.xlsx", 1, [cedolino("1.1", "Mario Bianchi", "150"), cedolino("1.2", "Mario Bianchi", "50")])
    r = consolida([a], cfg_default(), DATA)
    assert not [x for x in r.anomalie if x.tipo == A_ORE] and r.ats.ore_eccedenti == 0


def cfg_default():
    from addin.config import default_config

    return default_config()


def fattura(azione: str, fornitore: str, numero: str, doc: str | None, importo: str) -> Spesa:
    """An invoice every rule admits in full on its own (window 1 of 2026)."""
    return Spesa(riga=0, azione=azione, partner="Igea", categoria="Beni di consumo e materie prime",
                 descrizione="Materiale", fornitore=fornitore, tipo_documento="Fattura", numero_documento=numero,
                 data_documento=dt.date(2026, 3, 2), data_pagamento=dt.date(2026, 3, 10),
                 modalita_pagamento="Bonifico", importo_documento=Decimal(doc) if doc else None,
                 importo=Decimal(importo), doc_giustificativo=True, doc_conservata=True, doc_trasmessa=True,
                 data_trasmissione=dt.date(2026, 4, 20))


def test_double_funding_is_deducted_from_the_ats_and_written_differently_is_the_same():
    # the same 500.00 invoice: «FT 7/2026» of Alfa srl in P1 (300.00) and «7-2026» of Alfa S.r.l. in P2 (300.00):
    # 100.00 beyond the document, on the P2 row; a legitimate split (Gamma, 50 + 50 of 100) is not deducted
    a = _cartella("p1.xlsx", 1, [fattura("1.1", "Alfa srl", "FT 7/2026", "500", "300"),
                                 fattura("1.1", "Gamma", "G1", "100", "50")])
    b = _cartella("p2.xlsx", 2, [fattura("2.1", "Alfa S.r.l.", "7-2026", "500", "300"),
                                 fattura("2.1", "Gamma", "G1", "100", "50")])
    r = consolida([a, b], cfg_default(), DATA)
    d = [(x.file, x.importo) for x in r.anomalie if x.tipo == A_DOPPIO]
    assert d == [("p1.xlsx", Decimal("0")), ("p2.xlsx", Decimal("100.00"))]
    # programmes keep the check's figures (350.00 each); the ATS: 700.00 - 100.00 = 600.00
    assert [p.ammesso for p in r.programmi[:2]] == [Decimal("350.00"), Decimal("350.00")]
    assert (r.ats.doppio_finanziamento, r.ats.ammesso, r.ats.non_ammesso) == (
        Decimal("100.00"), Decimal("600.00"), Decimal("100.00"))


def test_double_funding_with_different_document_amounts_takes_the_smallest():
    # declared 500.00 in P1 and 400.00 in P2, claimed 300 + 300: 200.00 beyond the smaller amount
    a = _cartella("p1.xlsx", 1, [fattura("1.1", "Alfa srl", "7", "500", "300")])
    b = _cartella("p2.xlsx", 2, [fattura("2.1", "Alfa srl", "7", "400", "300")])
    r = consolida([a, b], cfg_default(), DATA)
    d = [x for x in r.anomalie if x.tipo == A_DOPPIO]
    assert [(x.file, x.importo) for x in d] == [("p1.xlsx", Decimal("0")), ("p2.xlsx", Decimal("200.00"))]
    assert "importi del documento diversi" in d[0].descrizione and "400,00 €" in d[0].descrizione
    assert r.ats.ammesso == Decimal("400.00")     # 600.00 - 200.00
