"""Eligibility of expense rows: one case per reason code of the catalogue, with hand-computed results.

Reference: programme 1, year 2026. Window 1 covers expenses to 30/04/2026 and locks on 31/05/2026.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal as D

import pytest

from addin.config import DEFAULT_CONFIG, parse_config
from addin.rules.catalogue import CATALOGO
from addin.rules.eligibility import Contesto, totali, valuta_spese
from addin.rules.models import Esito, Motivo, Spesa

BEFORE_LOCK = dt.date(2026, 5, 31)   # window 1 still open (the lock day itself is open)
AFTER_LOCK = dt.date(2026, 6, 1)


def spesa(riga: int = 4, **kw) -> Spesa:
    """A fully documented, eligible expense of 1,000.00 € on action 1.1, paid in window 1 of 2026."""
    base = dict(azione="1.1", partner="Igea", categoria="Beni di consumo e materie prime",
                descrizione="Materiale didattico", fornitore="Cartoleria Rossi srl", tipo_documento="Fattura",
                numero_documento=f"F-{riga}", data_documento=dt.date(2026, 3, 2),
                data_pagamento=dt.date(2026, 3, 20), modalita_pagamento="Bonifico",
                importo_documento=D("1000.00"), importo=D("1000.00"), doc_giustificativo=True,
                doc_conservata=True, doc_trasmessa=True, data_trasmissione=dt.date(2026, 4, 10))
    base.update(kw)
    return Spesa(riga=riga, **base)


def personale(riga: int = 4, **kw) -> Spesa:
    base = dict(categoria="Personale interno", fornitore="Mario Bianchi", tipo_documento="Cedolino",
                persona="Mario Bianchi", ore=D("40"), costo_orario=D("25.00"),
                importo_documento=None, importo=D("1000.00"))
    base.update(kw)
    return spesa(riga, **base)


def check(rows, ref=BEFORE_LOCK, cfg=None, extra=None, programma=1, anno=2026):
    from addin.config import default_config

    ctx = Contesto(cfg or default_config(), programma, anno, ref, extra or {})
    return valuta_spese(rows, ctx)


def one(row, **kw):
    [r] = check([row], **kw)
    return r


def config_with(old: str, new: str):
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    assert old in text
    return parse_config(text.replace(old, new, 1))


# --- one case per catalogue code: (row, reference date, extra reasons) -> (outcome, admitted) ----------

CASES = {
    "CATEGORIA_NON_AMMISSIBILE": (lambda: spesa(categoria="Interessi passivi"), {}, Esito.NON_AMMESSA, "0.00"),
    "AZIONE_NON_DEL_PROGRAMMA": (lambda: spesa(azione="2.1"), {}, Esito.NON_AMMESSA, "0.00"),
    "PARTNER_NON_ATS": (lambda: spesa(partner="Cooperativa Esterna"), {}, Esito.NON_AMMESSA, "0.00"),
    # competence (document date) in December 2025, before the year of the file
    "DATA_FUORI_PERIODO": (lambda: spesa(data_documento=dt.date(2025, 12, 20),
                                         data_pagamento=dt.date(2026, 1, 8)), {}, Esito.NON_AMMESSA, "0.00"),
    "PAGAMENTO_MANCANTE": (lambda: spesa(data_pagamento=None), {}, Esito.DA_INTEGRARE, "0.00"),
    # invoice of 02/03/2026 (window 1, lock 31/05/2026) paid on 03/06/2026, checked on 10/06/2026
    "PAGAMENTO_TARDIVO": (lambda: spesa(data_pagamento=dt.date(2026, 6, 3)), {"ref": dt.date(2026, 6, 10)},
                          Esito.ESCLUSA, "0.00"),
    "PAGAMENTO_NON_TRACCIABILE": (lambda: spesa(modalita_pagamento="Contanti"), {}, Esito.NON_AMMESSA, "0.00"),
    "CONTANTI_OLTRE_LIMITE": (lambda: spesa(modalita_pagamento="Contanti"),
                              {"cfg": ('contanti_massimo = "0.00"', 'contanti_massimo = "300.00"')},
                              Esito.AMMESSA, "300.00"),
    "IMPORTO_NON_VALIDO": (lambda: spesa(importo=D("-5")), {}, Esito.NON_AMMESSA, "0.00"),
    "IMPORTO_OLTRE_DOCUMENTO": (lambda: spesa(importo=D("1200.00")), {}, Esito.AMMESSA, "1000.00"),
    # 1,000.00 claimed: 200.00 recoverable VAT, 300.00 paid by another grant are not admitted
    "IVA_DETRAIBILE": (lambda: spesa(iva_detraibile=D("200.00")), {}, Esito.AMMESSA, "800.00"),
    "ALTRI_CONTRIBUTI": (lambda: spesa(altri_contributi=D("300.00")), {}, Esito.AMMESSA, "700.00"),
    "FORNITORE_PARTNER_ATS": (lambda: spesa(fornitore="Koala"), {}, Esito.AMMESSA, "1000.00"),   # advisory
    "DOCUMENTO_DUPLICATO": None,  # needs several rows: test_duplicates_*
    "IMPORTO_DOCUMENTO_DISCORDANTE": None,  # needs several rows: tests/test_rules_duplicati.py
    "DOCUMENTAZIONE_MANCANTE": (lambda: spesa(doc_trasmessa=False, data_trasmissione=None), {},
                                Esito.DA_INTEGRARE, "0.00"),
    # transmitted 03/06/2026, after the lock of window 1 (31/05), checked once the lock has passed
    "TRASMISSIONE_TARDIVA": (lambda: spesa(data_trasmissione=dt.date(2026, 6, 3)), {"ref": dt.date(2026, 6, 10)},
                             Esito.ESCLUSA, "0.00"),
    "INSERIMENTO_RETROATTIVO": (lambda: spesa(), {"extra": "INSERIMENTO_RETROATTIVO"}, Esito.ESCLUSA, "0.00"),
    "RIGA_SIGILLATA_MODIFICATA": (lambda: spesa(), {"extra": "RIGA_SIGILLATA_MODIFICATA"},
                                  Esito.NON_AMMESSA, "0.00"),
    "PERSONALE_DATI_MANCANTI": (lambda: personale(ore=None), {}, Esito.DA_INTEGRARE, "0.00"),
    # a request for documents recorded in the register (test_registro_casi): to complete while open
    "RICHIESTA_INTEGRAZIONE": (lambda: spesa(), {"extra": "RICHIESTA_INTEGRAZIONE"}, Esito.DA_INTEGRARE, "0.00"),
    "DECISIONE_COMUNE_PARZIALE": None,  # a register decision applied after the rules: tests/test_registro_casi.py
    # 40 h × 25.00 = 1,000.00 claimed 1,001.01 (beyond the 1.00 tolerance): 1,000.00 admitted
    "PERSONALE_IMPORTO_INCOERENTE": (lambda: personale(importo=D("1001.01")), {}, Esito.AMMESSA, "1000.00"),
    "PERSONALE_ORE_ECCESSIVE": None,  # needs several rows: tests/test_rules_personale.py
    "SPESE_GENERALI_OLTRE_LIMITE": None,  # needs several rows: test_overheads_*
    "COFINANZIAMENTO_SENZA_DATA": None,     # co-financing rows: test_rules_cofinancing (valuta_voci)
    "COFINANZIAMENTO_MONETARIO_INCOERENTE": None,  # programme-level advisory: test_rules_cofinancing, test_verifica
    "DECISIONE_COMUNE": (lambda: spesa(decisione_comune="Non ammessa",
                                       motivazione_comune="Spesa non pertinente all'azione 1.1"), {},
                         Esito.NON_AMMESSA, "0.00"),
    "DATO_NON_VALIDO": (lambda: spesa(errori=[Motivo("DATO_NON_VALIDO", "«abc» non è una data.")]), {},
                        Esito.DA_INTEGRARE, "0.00"),
}


def test_every_catalogue_code_has_a_case():
    assert set(CASES) == set(CATALOGO)


@pytest.mark.parametrize("code", [c for c, v in CASES.items() if v is not None])
def test_reason_code(code):
    make, opts, esito, ammesso = CASES[code]
    row = make()
    cfg = config_with(*opts["cfg"]) if "cfg" in opts else None
    extra = {row.riga: [Motivo(opts["extra"], "dal sigillo")]} if "extra" in opts else None
    r = one(row, cfg=cfg, extra=extra, ref=opts.get("ref", BEFORE_LOCK))
    assert r.codici == [code]
    assert r.esito is esito
    assert r.importo_ammesso == D(ammesso)
    assert r.motivi[0].messaggio  # an Italian message, never empty


def test_eligible_row():
    r = one(spesa())
    assert (r.esito, r.importo, r.importo_ammesso, r.motivi) == (Esito.AMMESSA, D("1000.00"), D("1000.00"), [])
    assert r.finestra == 1 and r.data_decisiva == dt.date(2026, 3, 2)   # competence: the document date
    # the document's identity, which the consolidation matches across workbooks
    # (supplier without its legal form, number without its prefix: tests/test_rules_duplicati.py)
    assert r.documento == ("cartoleria rossi", "4")
    assert one(spesa(fornitore=" CARTOLERIA  Rossi S.R.L. ", numero_documento="f - 4")).documento == \
        ("cartoleria rossi", "4")
    assert one(spesa(numero_documento=None)).documento is None


def test_amount_rounded_half_up_to_cents():
    r = one(spesa(importo=D("100.005"), importo_documento=D("200")))
    assert r.importo == r.importo_ammesso == D("100.01")


def test_names_are_matched_loosely():
    r = one(spesa(partner="  comunita papa giovanni xxiii ", categoria="beni", azione="1.1 - Progetto educativo",
                  modalita_pagamento="bonifico"))
    assert r.esito is Esito.AMMESSA, r.motivi


def test_category_messages():
    assert "«Interessi passivi» è un costo non ammissibile" in one(spesa(categoria="interessi passivi")).motivi[0].messaggio
    assert "non è una categoria" in one(spesa(categoria="Cena sociale")).motivi[0].messaggio
    assert one(spesa(categoria=None)).codici == ["CATEGORIA_NON_AMMISSIBILE"]


def test_amount_missing_or_zero():
    for value in (None, D("0")):
        r = one(spesa(importo=value))
        assert (r.esito, r.importo, r.importo_ammesso) == (Esito.NON_AMMESSA, D("0.00"), D("0.00"))
        assert r.codici == ["IMPORTO_NON_VALIDO"]
    assert one(spesa(importo_documento=D("0"))).codici == ["IMPORTO_NON_VALIDO"]


def test_amount_over_document_keeps_the_document_amount():
    r = one(spesa(importo=D("1200.00")))
    assert r.importo_non_ammesso == D("200.00")
    assert "200,00 €" in r.motivi[0].messaggio


# --- windows: the same row at two reference dates ---------------------------------------------------

def test_missing_documents_open_then_locked():
    row = spesa(doc_giustificativo=True, doc_conservata=False, doc_trasmessa=False, data_trasmissione=None)
    before = one(row, ref=BEFORE_LOCK)
    after = one(row, ref=AFTER_LOCK)
    assert (before.esito, before.importo_ammesso) == (Esito.DA_INTEGRARE, D("0.00"))
    assert (after.esito, after.importo_ammesso) == (Esito.ESCLUSA, D("0.00"))
    assert before.codici == after.codici == ["DOCUMENTAZIONE_MANCANTE"]
    assert "31/05/2026" in after.motivi[0].messaggio and "esclusa" in after.motivi[0].messaggio
    assert "conservazione agli atti" in before.motivi[0].messaggio


PER_PAGAMENTO = ('data_decisiva = "competenza"', 'data_decisiva = "pagamento"')


def test_window_of_the_payment_decides_when_configured():
    # regole.data_decisiva = "pagamento": document in window 1, paid in window 2 (locks 30/09): still open on 1 June
    cfg = config_with(*PER_PAGAMENTO)
    row = spesa(data_pagamento=dt.date(2026, 5, 4), doc_trasmessa=False, data_trasmissione=None)
    r = one(row, ref=AFTER_LOCK, cfg=cfg)
    assert (r.esito, r.finestra) == (Esito.DA_INTEGRARE, 2)
    assert one(row, ref=dt.date(2026, 10, 1), cfg=cfg).esito is Esito.ESCLUSA
    # by competence (the default) the document date decides: window 1, locked on 31/05
    r = one(row, ref=AFTER_LOCK)
    assert (r.esito, r.finestra) == (Esito.ESCLUSA, 1)


def test_missing_payment_uses_document_date_window():
    row = spesa(data_pagamento=None, modalita_pagamento=None)
    r = one(row, ref=BEFORE_LOCK)
    assert r.esito is Esito.DA_INTEGRARE and r.finestra == 1
    assert "data e modalità" in r.motivi[0].messaggio
    assert one(row, ref=AFTER_LOCK).esito is Esito.ESCLUSA


def test_no_date_at_all_locks_with_the_last_window():
    row = spesa(data_documento=None, data_pagamento=None)
    assert one(row, ref=dt.date(2027, 1, 31)).esito is Esito.DA_INTEGRARE
    assert one(row, ref=dt.date(2027, 2, 1)).esito is Esito.ESCLUSA


def test_third_window_locks_next_january():
    row = spesa(data_documento=dt.date(2026, 12, 1), data_pagamento=dt.date(2026, 12, 15),
                doc_trasmessa=False, data_trasmissione=None)
    assert one(row, ref=dt.date(2027, 1, 31)).esito is Esito.DA_INTEGRARE
    assert one(row, ref=dt.date(2027, 2, 1)).esito is Esito.ESCLUSA


def test_transmitted_without_date():
    r = one(spesa(data_trasmissione=None))
    assert (r.esito, r.codici) == (Esito.DA_INTEGRARE, ["DOCUMENTAZIONE_MANCANTE"])


def test_transmission_on_lock_day_is_in_time():
    # checked on 01/06/2026, the day after the lock (a transmission dated after the reference date would
    # only be «not yet transmitted»: tests/test_rules_date_messaggi.py)
    assert one(spesa(data_trasmissione=dt.date(2026, 5, 31)), ref=AFTER_LOCK).esito is Esito.AMMESSA
    r = one(spesa(data_trasmissione=dt.date(2026, 6, 1)), ref=AFTER_LOCK)
    assert r.esito is Esito.ESCLUSA and "31/05/2026" in r.motivi[0].messaggio


# --- period ---------------------------------------------------------------------------------------

def test_payment_next_year_is_outside_the_year_when_by_payment():
    cfg = config_with(*PER_PAGAMENTO)
    r = one(spesa(data_documento=dt.date(2026, 12, 20), data_pagamento=dt.date(2027, 1, 8)), cfg=cfg)
    assert r.codici == ["DATA_FUORI_PERIODO"] and "08/01/2027" in r.motivi[0].messaggio
    # ... and belongs to the 2027 report
    assert one(spesa(data_documento=dt.date(2026, 12, 20), data_pagamento=dt.date(2027, 1, 8),
                     data_trasmissione=dt.date(2027, 2, 1)), anno=2027, ref=dt.date(2027, 3, 1),
               cfg=cfg).esito is Esito.AMMESSA


def test_document_before_the_co_progettazione():
    r = one(spesa(data_documento=dt.date(2025, 12, 15), data_pagamento=dt.date(2026, 1, 10)))
    assert r.codici == ["DATA_FUORI_PERIODO"] and "15/12/2025" in r.motivi[0].messaggio


def test_document_after_the_year_paid_within_it():
    r = one(spesa(data_documento=dt.date(2027, 1, 5), data_pagamento=dt.date(2026, 12, 30),
                  data_trasmissione=dt.date(2027, 1, 10)))
    assert r.codici == ["DATA_FUORI_PERIODO"]


# --- payment --------------------------------------------------------------------------------------

def test_payment_after_the_reference_date_is_not_yet_incurred():
    # paid 20/03/2026: on 15/03 the expense is not yet quietanzata (window 1 still open: to complete)
    # (its transmission of 25/03 has not happened yet either)
    r = one(spesa(data_trasmissione=dt.date(2026, 3, 25)), ref=dt.date(2026, 3, 15))
    assert (r.esito, r.importo_ammesso, r.codici) == (Esito.DA_INTEGRARE, D("0.00"),
                                                      ["PAGAMENTO_MANCANTE", "DOCUMENTAZIONE_MANCANTE"])
    assert "20/03/2026" in r.motivi[0].messaggio and "15/03/2026" in r.motivi[0].messaggio
    # the same row once the transmission date is reached
    assert one(spesa(data_trasmissione=dt.date(2026, 3, 25)), ref=dt.date(2026, 3, 25)).esito is Esito.AMMESSA


def test_cash_payment_not_admitted():
    r = one(spesa(modalita_pagamento="contanti"))
    assert (r.esito, r.importo_ammesso, r.codici) == (Esito.NON_AMMESSA, D("0.00"), ["PAGAMENTO_NON_TRACCIABILE"])


def test_unknown_payment_method_not_traceable():
    assert one(spesa(modalita_pagamento="Baratto")).codici == ["PAGAMENTO_NON_TRACCIABILE"]


def test_cash_within_configured_allowance_admitted_in_full():
    cfg = config_with('contanti_massimo = "0.00"', 'contanti_massimo = "300.00"')
    r = one(spesa(modalita_pagamento="Contanti", importo=D("250.00"), importo_documento=D("250.00")), cfg=cfg)
    assert (r.esito, r.importo_ammesso, r.motivi) == (Esito.AMMESSA, D("250.00"), [])


# --- personnel ------------------------------------------------------------------------------------

@pytest.mark.parametrize("importo,ammesso,codes", [
    ("1000.00", "1000.00", []), ("999.00", "999.00", []), ("1001.00", "1001.00", []),
    ("1001.01", "1000.00", ["PERSONALE_IMPORTO_INCOERENTE"]),
    ("998.99", "998.99", [])])     # a claim below hours × rate is admitted as claimed
def test_personnel_hours_times_rate_tolerance(importo, ammesso, codes):
    # 40 h x 25.00 = 1,000.00; tolerance 1.00 €: 1.00 more is still fine, 1.01 more is cut to 1,000.00
    r = one(personale(importo=D(importo)))
    assert (r.esito, r.importo_ammesso, r.codici) == (Esito.AMMESSA, D(ammesso), codes)


def test_personnel_claim_above_hours_times_rate_is_reduced_not_excluded():
    # 10 h × 30.00 = 300.00 claimed 350.00: 300.00 admitted, 50.00 not, before and after the lock
    row = personale(ore=D("10"), costo_orario=D("30.00"), importo=D("350.00"))
    for ref in (BEFORE_LOCK, AFTER_LOCK):
        r = one(row, ref=ref)
        assert (r.esito, r.importo_ammesso, r.codici) == (Esito.AMMESSA, D("300.00"),
                                                          ["PERSONALE_IMPORTO_INCOERENTE"])
        assert "300,00 €" in r.motivi[0].messaggio and "non ammessi 50,00 €" in r.motivi[0].messaggio


@pytest.mark.parametrize("missing", ["persona", "ore", "costo_orario"])
def test_personnel_data_missing(missing):
    r = one(personale(**{missing: None}))
    assert r.codici == ["PERSONALE_DATI_MANCANTI"]
    assert missing.replace("_", " ") in r.motivi[0].messaggio


def test_personnel_non_positive_hours():
    assert one(personale(ore=D("0"))).codici == ["PERSONALE_DATI_MANCANTI"]


def test_non_personnel_rows_need_no_hours():
    assert one(spesa(persona=None, ore=None, costo_orario=None)).esito is Esito.AMMESSA


# --- the Comune's decision ------------------------------------------------------------------------

def test_comune_rejection_with_motivation():
    r = one(spesa(decisione_comune="Non ammessa", motivazione_comune="Spesa non pertinente"))
    assert (r.esito, r.importo_ammesso) == (Esito.NON_AMMESSA, D("0.00"))
    assert r.motivi == [Motivo("DECISIONE_COMUNE", "Non ammessa dal Comune: Spesa non pertinente")]


def test_comune_rejection_without_motivation_says_so():
    r = one(spesa(decisione_comune="NON AMMESSA"))
    assert r.esito is Esito.NON_AMMESSA and "motivazione non indicata" in r.motivi[0].messaggio


def test_comune_admission_changes_nothing():
    assert one(spesa(decisione_comune="Ammessa")).esito is Esito.AMMESSA


# --- precedence of outcomes -----------------------------------------------------------------------

def test_not_admitted_beats_excluded_beats_to_complete():
    # checked on 10/07/2026, after the lock of window 1 (31/05): the transmission of 01/07 is late
    later = dt.date(2026, 7, 10)
    r = one(spesa(partner="Estraneo", data_trasmissione=dt.date(2026, 7, 1), data_pagamento=None), ref=later)
    assert r.esito is Esito.NON_AMMESSA
    assert set(r.codici) == {"PARTNER_NON_ATS", "PAGAMENTO_MANCANTE", "TRASMISSIONE_TARDIVA"}
    r = one(spesa(data_trasmissione=dt.date(2026, 7, 1), importo=D("1200")), ref=later)
    assert r.esito is Esito.ESCLUSA and r.importo_ammesso == D("0.00")


def test_reduction_then_missing_documents_waits_for_completion():
    r = one(spesa(importo=D("1200.00"), doc_trasmessa=False, data_trasmissione=None))
    assert (r.esito, r.importo_ammesso) == (Esito.DA_INTEGRARE, D("0.00"))


# --- duplicates beyond 100% -----------------------------------------------------------------------

def test_duplicates_cut_in_row_order():
    # the same invoice (1,000.00) imputed 600 + 300 + 300: the third row keeps only 100.00
    rows = [spesa(6, numero_documento="F-77", importo=D("300.00")),
            spesa(4, numero_documento="F-77", importo=D("600.00")),
            spesa(5, numero_documento="f-77", importo=D("300.00"),
                  fornitore="CARTOLERIA  ROSSI SRL")]
    res = {r.riga: r for r in check(rows)}
    assert res[4].importo_ammesso == D("600.00") and res[4].esito is Esito.AMMESSA
    assert res[5].importo_ammesso == D("300.00") and res[5].motivi == []
    assert res[6].importo_ammesso == D("100.00") and res[6].esito is Esito.AMMESSA
    assert res[6].codici == ["DOCUMENTO_DUPLICATO"]
    assert "200,00 €" in res[6].motivi[0].messaggio and "anche nelle righe 4, 5 " in res[6].motivi[0].messaggio


def test_duplicates_fully_used_document_not_admitted():
    rows = [spesa(4, numero_documento="F-1"), spesa(5, numero_documento="F-1")]
    a, b = check(rows)
    assert (a.esito, a.importo_ammesso) == (Esito.AMMESSA, D("1000.00"))
    assert (b.esito, b.importo_ammesso, b.codici) == (Esito.NON_AMMESSA, D("0.00"), ["DOCUMENTO_DUPLICATO"])


def test_same_number_other_supplier_is_not_a_duplicate():
    rows = [spesa(4, numero_documento="1"), spesa(5, numero_documento="1", fornitore="Altro fornitore")]
    assert [r.importo_ammesso for r in check(rows)] == [D("1000.00"), D("1000.00")]


def test_split_document_within_100_percent():
    rows = [spesa(4, numero_documento="F-9", importo=D("500.00")),
            spesa(5, numero_documento="F-9", importo=D("500.00"))]
    assert [(r.esito, r.importo_ammesso) for r in check(rows)] == [(Esito.AMMESSA, D("500.00"))] * 2


# --- spese generali cap ---------------------------------------------------------------------------

def test_overheads_cut_proportionally_to_the_cent():
    # direct costs 10,000.00 -> cap 1,000.00; overheads 700 + 400 + 100.01 = 1,200.01
    # largest remainder on 100,000 cents: 58,332.85 / 33,333.06 / 8,334.10 -> 583.33 / 333.33 / 83.34
    rows = [spesa(4, importo=D("10000.00"), importo_documento=D("10000.00")),
            spesa(5, categoria="Spese generali", importo=D("700.00"), importo_documento=D("700.00")),
            spesa(6, categoria="Spese generali", importo=D("400.00"), importo_documento=D("400.00")),
            spesa(7, categoria="Spese generali", importo=D("100.01"), importo_documento=D("100.01"))]
    res = check(rows)
    assert [r.importo_ammesso for r in res] == [D("10000.00"), D("583.33"), D("333.33"), D("83.34")]
    assert sum(r.importo_ammesso for r in res[1:]) == D("1000.00")
    assert [r.codici for r in res] == [[], ["SPESE_GENERALI_OLTRE_LIMITE"]] + [["SPESE_GENERALI_OLTRE_LIMITE"]] * 2
    assert all(r.esito is Esito.AMMESSA for r in res)
    assert "116,67 €" in res[1].motivi[0].messaggio  # 700.00 - 583.33


def test_overheads_within_cap_untouched():
    rows = [spesa(4, importo=D("10000.00"), importo_documento=D("10000.00")),
            spesa(5, categoria="Spese generali", importo=D("1000.00"))]
    assert [r.motivi for r in check(rows)] == [[], []]


def test_overheads_cap_counts_only_admitted_direct_costs():
    # direct: 5,000 admitted + 5,000 paid in cash (not admitted) -> cap 500.00
    rows = [spesa(4, importo=D("5000.00"), importo_documento=D("5000.00")),
            spesa(5, importo=D("5000.00"), importo_documento=D("5000.00"), modalita_pagamento="Contanti"),
            spesa(6, categoria="Spese generali", importo=D("800.00"), importo_documento=D("800.00"))]
    assert check(rows)[2].importo_ammesso == D("500.00")


def test_overheads_without_direct_costs_not_admitted():
    r = one(spesa(categoria="Spese generali"))
    assert (r.esito, r.importo_ammesso, r.codici) == (Esito.NON_AMMESSA, D("0.00"), ["SPESE_GENERALI_OLTRE_LIMITE"])


def test_totals():
    rows = [spesa(4), spesa(5, importo=D("1200.00")), spesa(6, modalita_pagamento="Contanti"),
            spesa(7, data_pagamento=None), spesa(8, data_trasmissione=dt.date(2026, 7, 1))]
    t = totali(check(rows))
    # on 31/05/2026 row 8's transmission «01/07» has not happened yet: it waits with row 7 (2 × 1,000.00)
    assert t == {"rendicontato": D("5200.00"), "ammesso": D("2000.00"), "non_ammesso": D("3200.00"),
                 "da_integrare": D("2000.00"), "escluso": D("0.00")}
    # after the lock both are excluded
    t = totali(check(rows, ref=AFTER_LOCK))
    assert (t["da_integrare"], t["escluso"]) == (D("0.00"), D("2000.00"))


def test_rules_do_not_modify_rows():
    row = spesa(importo=D("1200.00"))
    before = dataclasses.asdict(row)
    check([row, spesa(5, numero_documento=row.numero_documento)])
    assert dataclasses.asdict(row) == before
