"""The figures of the Riepilogo and Tranche sheets (addin.rules.summary.riepilogo) on a small workbook, every
one computed by hand in the comments. Fast, no LibreOffice: in the mutmut selection (docs/sviluppo.md);
tests/test_templates.py proves the sheets' formulas give the same figures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from addin.rules.budget import VoceBudget
from addin.rules.models import Esito, EsitoRiga, Motivo, Spesa, VoceCofinanziamento
from addin.rules.summary import riepilogo

DAY = dt.date(2026, 3, 10)


def _sp(azione, categoria, importo):
    return Spesa(0, azione, "Igea", categoria, "x", "Fornitore", "Fattura", "1", DAY, DAY, "Bonifico",
                 importo, importo)


SPESE = [
    _sp("1.1", "PERSONALE_INTERNO", D("100.00")),
    _sp("1.1", "BENI", D("50.50")),
    _sp(" 1.2 ", "Beni di consumo e materie prime", D("20.00")),     # action and category as typed
    _sp("9.1", "SERVIZI", D("30.00")),                               # an action of another programme
    _sp("1.2", None, D("5.00")),                                     # no category
    _sp("1.3", "SERVIZI", None),                                     # no amount: not counted
]
COFIN = [VoceCofinanziamento(0, "Koala", "1.2", "NON_MONETARIO", "Sala", D(2), D("10.00"))]
BUDGET = [VoceBudget("1.1", "BENI", D("1000.00"), D("-100.25"), cofin_iniziale=D("40.00")),
          VoceBudget("1.1", "BENI", D("10.00")),                        # the same pair twice: summed
          VoceBudget("1.2", "SERVIZI", cofin_iniziale=D("5.50"), cofin_novembre=D("0.05")),
          VoceBudget("7.1", "BENI", D("999.00"))]                      # another programme's action: ignored


def test_riepilogo_by_hand(cfg):
    s = riepilogo(cfg, 1, 2026, SPESE, COFIN, BUDGET)
    assert (s.programma, s.anno) == (1, 2026)
    # the configuration of programme 1 in 2026
    assert (s.contributo_previsto, s.cofin_previsto, s.valore_previsto) == (D("722461.31"), D("88436.17"),
                                                                           D("810897.48"))
    # reported 100 + 50.50 + 20 + 30 + 5 = 205.50; attributed 100 + 50.50 + 20 = 170.50; 35.00 not attributed
    assert (s.rendicontato, s.attribuito, s.non_attribuito) == (D("205.50"), D("170.50"), D("35.00"))
    assert s.per_azione == {"1.1": D("150.50"), "1.2": D("20.00"), "1.3": D("0"), "1.4": D("0"), "1.5": D("0")}
    assert s.per_categoria == {"PERSONALE_INTERNO": D("100.00"), "PERSONALE_ESTERNO": D("0"), "BENI": D("70.50"),
                               "SERVIZI": D("0"), "SPESE_GENERALI": D("0")}
    # 5 actions x 5 categories, in that order; budget 1.1 BENI: municipal 1000 - 100.25 + 10 = 909.75,
    # co-financing 40; 1.2 SERVIZI: co-financing 5.50 + 0.05 = 5.55
    assert [(r.azione, r.categoria) for r in s.righe][:6] == [
        ("1.1", "PERSONALE_INTERNO"), ("1.1", "PERSONALE_ESTERNO"), ("1.1", "BENI"), ("1.1", "SERVIZI"),
        ("1.1", "SPESE_GENERALI"), ("1.2", "PERSONALE_INTERNO")]
    assert len(s.righe) == 25
    righe = {(r.azione, r.categoria): r for r in s.righe}
    r = righe[("1.1", "BENI")]
    assert (r.budget_comunale, r.budget_cofin, r.budget_totale, r.rendicontato, r.residuo) == (
        D("909.75"), D("40.00"), D("949.75"), D("50.50"), D("899.25"))         # 949.75 - 50.50
    r = righe[("1.2", "SERVIZI")]
    assert (r.budget_comunale, r.budget_cofin, r.budget_totale, r.rendicontato, r.residuo) == (
        D("0"), D("5.55"), D("5.55"), D("0"), D("5.55"))
    r = righe[("1.1", "PERSONALE_INTERNO")]
    assert (r.budget_totale, r.rendicontato, r.residuo) == (D("0"), D("100.00"), D("-100.00"))
    assert (s.budget_comunale, s.budget_cofin) == (D("909.75"), D("45.55"))    # 40 + 5.55
    # volunteers' table rate of 2026 (no planned grade configured for programme 1)
    assert s.tariffa.valore == D("20.07")
    # co-financing: non-monetary 2 x 10.00 = 20.00; realised 205.50 + 20.00 = 225.50
    assert (s.cofinanziamento.non_monetario, s.cofinanziamento.valorizzato) == (D("20.00"), D("20.00"))
    assert s.valore_realizzato == D("225.50")
    liq = s.liquidazione
    assert (liq.contributo_previsto, liq.valore_previsto, liq.valore_realizzato, liq.limite_spesa) == (
        D("722461.31"), D("810897.48"), D("225.50"), D("205.50"))
    # proportional 722461.31 x 225.50 / 810897.48 = 200.9070... -> 200.91, under the reported 205.50
    assert (liq.contributo_proporzionale, liq.contributo_finale) == (D("200.91"), D("200.91"))
    # monetary co-financing realised: 205.50 - 200.91 = 4.59; share 20.00 + 4.59 = 24.59 of 225.50;
    # minimum 10/90 of 225.50 - 24.59 = 200.91 -> 22.32
    assert s.cofinanziamento.monetario == D("4.59")
    assert (s.quota.base, s.quota.cofinanziamento, s.quota.minimo, s.quota.rispettato) == (
        D("225.50"), D("24.59"), D("22.32"), True)
    # tranches of 722461.31: 60% 433476.786 -> 433476.79, 30% 216738.393 -> 216738.39, the rest 72246.13
    assert [t.importo for t in s.piano] == [D("433476.79"), D("216738.39"), D("72246.13")]
    # advances 433476.79 + 216738.39 = 650215.18; balance 200.91 - 650215.18
    assert (liq.anticipi, liq.saldo, liq.da_recuperare) == (D("650215.18"), D("-650014.27"), D("650014.27"))


def test_rows_after_one_without_amount_the_same_pair_summed_volunteers_at_the_cap(cfg):
    spese = [_sp("1.1", "PERSONALE_INTERNO", D("100.00")), _sp("1.3", "SERVIZI", None),
             _sp("1.1", "BENI", D("50.50")), _sp("1.1", "BENI", D("9.50"))]
    cofin = [VoceCofinanziamento(0, "Auser", "1.1", "VOLONTARIATO", "Animatori", D(3), D("25.00"))]
    s = riepilogo(cfg, 1, 2026, spese, cofin)
    # 100 + 50.50 + 9.50 = 160.00 (the row without an amount does not stop the sum)
    assert (s.rendicontato, s.per_azione["1.1"], s.per_categoria["BENI"]) == (D("160.00"), D("160.00"), D("60.00"))
    assert next(r.rendicontato for r in s.righe if (r.azione, r.categoria) == ("1.1", "BENI")) == D("60.00")
    # volunteers: 3 h at 25.00 valued at the 2026 table rate 20.07: 60.21
    assert (s.cofinanziamento.volontariato, s.valore_realizzato) == (D("60.21"), D("220.21"))


def test_no_rows_no_budget(cfg):
    s = riepilogo(cfg, 2, 2026, [])
    assert (s.rendicontato, s.attribuito, s.non_attribuito, s.budget_comunale, s.budget_cofin) == (D("0"),) * 5
    assert set(s.per_azione.values()) == {D("0")} and s.valore_realizzato == D("0")


def test_reasons_text_of_a_row():
    e = EsitoRiga(4, Esito.NON_AMMESSA, D("10.00"), D("0.00"), [Motivo("A", "primo motivo"), Motivo("B", "secondo")])
    assert e.testo_motivi() == "primo motivo; secondo"
    assert EsitoRiga(5, Esito.AMMESSA, D("1"), D("1"), []).testo_motivi() == ""
