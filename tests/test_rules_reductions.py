"""Reductions by reason (addin/rules/reductions.py): each row's amount not admitted counted once, under
its decisive reason. Figures computed by hand in the comments; fast unit tests (`make mutate` runs them)."""

from __future__ import annotations

from decimal import Decimal as D

from addin.rules.catalogue import CATALOGO
from addin.rules.models import Esito, EsitoRiga, Motivo, Spesa
from addin.rules.reductions import ALTRO, Decurtazione, decurtazioni_per_motivo, motivo_decisivo
from tests.test_rules_eligibility import check, spesa


def _e(riga, esito, importo, ammesso, *codici):
    return EsitoRiga(riga, esito, D(importo), D(ammesso), [Motivo(c, c.lower()) for c in codici])


def test_duplicates_with_discordant_document_amounts_are_counted_under_the_duplicate():
    # bug fixed: an advisory reason (IMPORTO_DOCUMENTO_DISCORDANTE) on a reduced row raised KeyError,
    # so the CLI, the report and the verbale failed on any duplicate whose copies disagree.
    # Copies: row 4 document 100.00 claims 80.00, row 5 document 90.00 claims 50.00; the smaller
    # document amount counts: 90.00; row 4 keeps 80.00, row 5 gets 90.00 - 80.00 = 10.00 (cut 40.00)
    rows = [spesa(4, numero_documento="F1", importo_documento=D("100.00"), importo=D("80.00")),
            spesa(5, numero_documento="F1", importo_documento=D("90.00"), importo=D("50.00"))]
    esiti = check(rows)
    assert [(e.importo_ammesso, e.codici) for e in esiti] == [
        (D("80.00"), ["IMPORTO_DOCUMENTO_DISCORDANTE"]),
        (D("10.00"), ["IMPORTO_DOCUMENTO_DISCORDANTE", "DOCUMENTO_DUPLICATO"])]
    assert motivo_decisivo(esiti[0]) is None
    assert motivo_decisivo(esiti[1]) == "DOCUMENTO_DUPLICATO"
    [d] = decurtazioni_per_motivo(rows, esiti)
    assert (d.codice, d.righe, d.importo, d.righe_con_motivo) == ("DOCUMENTO_DUPLICATO", 1, D("40.00"), 1)


def test_decisive_reason_of_advisories_hours_unknown_codes_and_no_reason():
    # an advisory listed first never decides: the VAT cut does
    assert motivo_decisivo(_e(4, Esito.AMMESSA, "122.00", "100.00", "FORNITORE_PARTNER_ATS",
                              "IVA_DETRAIBILE")) == "IVA_DETRAIBILE"
    # hours beyond the maximum: da integrare while the row is DA_INTEGRARE (beats a reduction listed first) ...
    assert motivo_decisivo(_e(4, Esito.DA_INTEGRARE, "500.00", "0.00", "IVA_DETRAIBILE",
                              "PERSONALE_ORE_ECCESSIVE")) == "PERSONALE_ORE_ECCESSIVE"
    # ... a reduction once locked (the first reduction listed decides)
    assert motivo_decisivo(_e(4, Esito.AMMESSA, "500.00", "300.00", "IVA_DETRAIBILE",
                              "PERSONALE_ORE_ECCESSIVE")) == "IVA_DETRAIBILE"
    # equal strength: the first listed decides
    assert motivo_decisivo(_e(4, Esito.DA_INTEGRARE, "500.00", "0.00", "PERSONALE_ORE_ECCESSIVE",
                              "DOCUMENTAZIONE_MANCANTE")) == "PERSONALE_ORE_ECCESSIVE"
    assert motivo_decisivo(_e(4, Esito.NON_AMMESSA, "9.00", "0.00", "DATA_FUORI_PERIODO",
                              "PARTNER_NON_ATS")) == "DATA_FUORI_PERIODO"
    # the order non ammessa > esclusa > integrabile > riduzione, whatever the listing order
    assert motivo_decisivo(_e(4, Esito.NON_AMMESSA, "9.00", "0.00", "IVA_DETRAIBILE", "DOCUMENTAZIONE_MANCANTE",
                              "PAGAMENTO_TARDIVO", "PARTNER_NON_ATS")) == "PARTNER_NON_ATS"
    assert motivo_decisivo(_e(4, Esito.ESCLUSA, "9.00", "0.00", "IVA_DETRAIBILE", "DOCUMENTAZIONE_MANCANTE",
                              "PAGAMENTO_TARDIVO")) == "PAGAMENTO_TARDIVO"
    assert motivo_decisivo(_e(4, Esito.DA_INTEGRARE, "9.00", "0.00", "IVA_DETRAIBILE",
                              "DOCUMENTAZIONE_MANCANTE")) == "DOCUMENTAZIONE_MANCANTE"
    # a code outside the catalogue counts as the strongest
    assert motivo_decisivo(_e(4, Esito.NON_AMMESSA, "9.00", "0.00", "PARTNER_NON_ATS", "SCONOSCIUTO")) == "SCONOSCIUTO"
    # a cut with no reason, or with advisories only: ALTRO
    assert motivo_decisivo(_e(4, Esito.NON_AMMESSA, "9.00", "0.00")) == ALTRO
    assert motivo_decisivo(_e(4, Esito.AMMESSA, "9.00", "8.99", "FORNITORE_PARTNER_ATS")) == ALTRO
    # nothing cut (0.00), or admitted above reported (never expected): no decisive reason
    assert motivo_decisivo(_e(4, Esito.AMMESSA, "9.00", "9.00", "IVA_DETRAIBILE")) is None
    assert motivo_decisivo(_e(4, Esito.AMMESSA, "9.00", "9.01", "IVA_DETRAIBILE")) is None


def test_reductions_by_reason_add_rows_amounts_categories_and_sort():
    spese = [Spesa(1, categoria="A"), Spesa(2, categoria="B"), Spesa(3), Spesa(4, categoria="A"),
             Spesa(5, categoria="A"), Spesa(6, categoria="A"), Spesa(7, categoria="B"),
             Spesa(8, categoria="A"), Spesa(9, categoria="A")]
    esiti = [
        _e(1, Esito.NON_AMMESSA, "100.00", "0.00", "PARTNER_NON_ATS", "DOCUMENTAZIONE_MANCANTE"),  # 100.00
        _e(2, Esito.DA_INTEGRARE, "60.00", "0.00", "DOCUMENTAZIONE_MANCANTE", "DOCUMENTAZIONE_MANCANTE"),  # 60.00
        _e(3, Esito.DA_INTEGRARE, "40.00", "0.00", "DOCUMENTAZIONE_MANCANTE"),      # 40.00, no category
        _e(4, Esito.ESCLUSA, "30.00", "0.00", "DOCUMENTAZIONE_MANCANTE"),           # 30.00, window locked
        _e(5, Esito.AMMESSA, "200.00", "100.00", "IVA_DETRAIBILE"),                 # 100.00
        _e(6, Esito.AMMESSA, "50.00", "50.00", "FORNITORE_PARTNER_ATS"),            # nothing cut
        _e(7, Esito.NON_AMMESSA, "0.00", "0.00", "IMPORTO_NON_VALIDO"),             # nothing cut
        _e(8, Esito.AMMESSA, "100.00", "60.00", "ALTRI_CONTRIBUTI"),                # 40.00
        _e(9, Esito.AMMESSA, "100.00", "40.00", "ALTRI_CONTRIBUTI"),                # 60.00
    ]
    ded = decurtazioni_per_motivo(spese, esiti)
    # DOCUMENTAZIONE_MANCANTE decides rows 2, 3, 4: 60 + 40 + 30 = 130.00, of which da integrare
    # (rows 2 and 3) 60 + 40 = 100.00; carried by rows 1, 2 (twice, counted once), 3, 4 = 4 rows.
    # ALTRI_CONTRIBUTI 40 + 60 = 100.00 on 2 rows before IVA_DETRAIBILE and PARTNER_NON_ATS (100.00 on
    # 1 row each, in code order)
    assert [(d.codice, d.righe, d.importo, d.da_integrare, d.righe_con_motivo) for d in ded] == [
        ("DOCUMENTAZIONE_MANCANTE", 3, D("130.00"), D("100.00"), 4),
        ("ALTRI_CONTRIBUTI", 2, D("100.00"), D("0.00"), 2),
        ("IVA_DETRAIBILE", 1, D("100.00"), D("0.00"), 1),
        ("PARTNER_NON_ATS", 1, D("100.00"), D("0.00"), 1),
    ]
    assert ded[0].per_categoria == {"B": D("60.00"), "(mancante)": D("40.00"), "A": D("30.00")}
    assert ded[1].per_categoria == {"A": D("100.00")}
    assert ded[0].descrizione == CATALOGO["DOCUMENTAZIONE_MANCANTE"].descrizione
    # the categories as the caller names them
    named = decurtazioni_per_motivo(spese, esiti, categoria=lambda s: f"cat {s.riga}")
    assert named[0].per_categoria == {"cat 2": D("60.00"), "cat 3": D("40.00"), "cat 4": D("30.00")}


def test_reduction_without_a_catalogue_reason_is_described():
    assert Decurtazione(ALTRO).descrizione == "Importo non ammesso senza un motivo del catalogo."
    [d] = decurtazioni_per_motivo([Spesa(1, categoria="A")], [_e(1, Esito.NON_AMMESSA, "9.00", "0.00")])
    assert (d.codice, d.righe, d.importo, d.per_categoria) == (ALTRO, 1, D("9.00"), {"A": D("9.00")})
