"""Costs that funders reject, visible in the template (issue 11, point 7).

The base row is a fully documented invoice of 1,000.00 € of Cartoleria Rossi srl (window 1 of 2026).
"""

from __future__ import annotations

from decimal import Decimal as D

from addin.rules.models import Esito
from addin.workbook import schema as S
from addin.workbook.template import build_template
from tests.test_rules_eligibility import one, spesa


def test_recoverable_vat_is_not_admitted():
    # 1,000.00 claimed of which 180.33 recoverable VAT: 819.67 admitted
    r = one(spesa(iva_detraibile=D("180.33")))
    assert (r.esito, r.importo_ammesso, r.codici) == (Esito.AMMESSA, D("819.67"), ["IVA_DETRAIBILE"])
    assert "non ammessi 180,33 €" in r.motivi[0].messaggio


def test_other_funding_of_the_same_cost_is_not_admitted():
    # 1,000.00 claimed, 250.00 paid by another grant: 750.00 admitted; with 100.00 VAT as well: 650.00
    r = one(spesa(altri_contributi=D("250.00")))
    assert (r.esito, r.importo_ammesso, r.codici) == (Esito.AMMESSA, D("750.00"), ["ALTRI_CONTRIBUTI"])
    r = one(spesa(altri_contributi=D("250.00"), iva_detraibile=D("100.00")))
    assert (r.importo_ammesso, r.codici) == (D("650.00"), ["IVA_DETRAIBILE", "ALTRI_CONTRIBUTI"])


def test_fully_funded_elsewhere_is_not_admitted():
    r = one(spesa(altri_contributi=D("1000.00")))
    assert (r.esito, r.importo_ammesso) == (Esito.NON_AMMESSA, D("0.00"))


def test_reductions_apply_to_what_the_document_allows():
    # claimed 1,200.00 of a 1,000.00 document: 1,000.00, then 100.00 VAT: 900.00
    r = one(spesa(importo=D("1200.00"), iva_detraibile=D("100.00")))
    assert (r.importo_ammesso, r.codici) == (D("900.00"), ["IMPORTO_OLTRE_DOCUMENTO", "IVA_DETRAIBILE"])


def test_supplier_that_is_an_ats_member_is_flagged_not_cut():
    for fornitore in ("Koala", "KOALA soc. coop. sociale", "Consorzio Arcobaleno S.c.r.l."):
        r = one(spesa(fornitore=fornitore))
        assert (r.esito, r.importo_ammesso, r.codici) == (Esito.AMMESSA, D("1000.00"), ["FORNITORE_PARTNER_ATS"])
    assert "Koala" in one(spesa(fornitore="Koala")).motivi[0].messaggio
    assert one(spesa(fornitore="Koala Giocattoli")).codici == []   # another name


def test_advisory_keeps_the_outcome_of_other_reasons():
    r = one(spesa(fornitore="Igea", doc_trasmessa=False, data_trasmissione=None))
    assert (r.esito, r.codici) == (Esito.DA_INTEGRARE, ["FORNITORE_PARTNER_ATS", "DOCUMENTAZIONE_MANCANTE"])


def test_template_has_the_columns_with_validation_and_lists_the_non_eligible_costs(cfg):
    wb = build_template(cfg, 1, 2026)
    ws = wb[S.SPESE]
    headers = [c.value for c in ws[3]]
    assert "IVA detraibile" in headers and "Altri contributi sulla spesa" in headers
    for header in ("IVA detraibile", "Altri contributi sulla spesa"):
        letter = ws.cell(3, headers.index(header) + 1).column_letter
        [dv] = [dv for dv in ws.data_validations.dataValidation if str(dv.sqref).startswith(f"{letter}4:")]
        assert (dv.type, dv.operator, dv.formula1) == ("decimal", "greaterThanOrEqual", "0")
        assert dv.prompt and "non è ammessa" in dv.prompt
    text = " ".join(str(c.value) for row in wb[S.ISTRUZIONI].iter_rows() for c in row if c.value)
    for c in cfg.costi_non_ammissibili:
        assert c.nome in text
    assert "IVA detraibile" in text and "Altri contributi sulla spesa" in text


def test_end_to_end_from_a_real_workbook(cfg, tmp_path):
    """The new columns written in a workbook made from the template are read back and checked."""
    import datetime as dt

    from addin.casi.verifica import esegui_verifica
    from addin.workbook.reader import leggi_cartella
    from hostile.build import save_workbook

    rows = [spesa(0, iva_detraibile=D("180.33")), spesa(0, numero_documento="F-2", altri_contributi=D("250.00")),
            spesa(0, numero_documento="F-3", fornitore="Koala soc. coop.")]
    p = save_workbook(tmp_path / "P1.xlsx", cfg, rows)
    c = leggi_cartella(p, cfg)
    assert [(s.iva_detraibile, s.altri_contributi) for s in c.spese] == [
        (D("180.33"), None), (None, D("250.00")), (None, None)]
    r = esegui_verifica(c, cfg, dt.date(2026, 5, 31))
    assert [(e.importo_ammesso, e.codici) for e in r.esiti] == [
        (D("819.67"), ["IVA_DETRAIBILE"]), (D("750.00"), ["ALTRI_CONTRIBUTI"]),
        (D("1000.00"), ["FORNITORE_PARTNER_ATS"])]
    # 819.67 + 750.00 + 1,000.00
    assert r.totali["ammesso"] == D("2569.67")
