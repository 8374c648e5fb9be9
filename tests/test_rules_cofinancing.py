"""Co-financing: seed shares (P4 below 10%, ATS 13.64% binding), volunteers' hourly cap, totals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from addin.config import DEFAULT_CONFIG, parse_config
from addin.overview import quadro_annuale
from addin.rules.cofinancing import (TotaliCofinanziamento, cofinanziamento_mancante, con_monetario_realizzato,
                                     riduzione_quota,
                                     tariffa_tabellare, tariffa_volontari, tipo_cofinanziamento,
                                     totali_cofinanziamento, valore_voce, verifica_budget, verifica_realizzato)
from addin.rules.models import Spesa, TipoCofinanziamento, VoceCofinanziamento
from addin.rules.money import percent

# share = cofinanziamento / (comunale + cofinanziamento), rounded to 2 decimals (hand-computed)
SHARES = {1: "10.91", 2: "28.84", 3: "58.91", 4: "8.73", 5: "11.91", 6: "23.50"}


@pytest.mark.parametrize("codice", sorted(SHARES))
def test_programme_shares(cfg, codice):
    b = cfg.programma(codice).budget_anno(2026)
    q = verifica_budget(cfg, b.comunale, b.cofinanziamento)
    assert percent(q.quota) == D(SHARES[codice])
    assert q.rispettato is (codice != 4)


def test_p4_below_ten_percent(cfg):
    q = verifica_budget(cfg, D("196406.30"), D("18793.08"))
    assert q.base == D("215199.38")
    # the co-financing is part of the total cost: minimum = 0.10 / 0.90 x municipal = 196,406.30 / 9
    # = 21,822.9222... -> 21,822.92 (10% of the current total, 21,519.94, left P4 at 9.87% once added)
    assert q.minimo == D("21822.92")
    assert q.mancante == D("3029.84")         # 21,822.92 - 18,793.08
    assert not q.rispettato
    # adding the shortfall reaches the minimum share: 21,822.92 / (196,406.30 + 21,822.92) = 10.0000%
    assert percent(verifica_budget(cfg, D("196406.30"), D("18793.08") + q.mancante).quota) == D("10.00")
    assert verifica_budget(cfg, D("196406.30"), D("21822.92")).rispettato
    assert not verifica_budget(cfg, D("196406.30"), D("21822.91")).rispettato
    assert cofinanziamento_mancante(cfg, D("196406.30"), D("18793.08")) == D("3029.84")
    assert cofinanziamento_mancante(cfg, D("722461.31"), D("88436.17")) == D("0.00")


def test_p4_on_municipal_base():
    cfg = parse_config(DEFAULT_CONFIG.read_text(encoding="utf-8").replace(
        'base = "costo_totale"', 'base = "finanziamento_comunale"', 1))
    q = verifica_budget(cfg, D("196406.30"), D("18793.08"))
    assert percent(q.quota) == D("9.57") and not q.rispettato
    # municipal base: 10% of 196,406.30 = 19,640.63; missing 19,640.63 - 18,793.08 = 847.55
    assert (q.minimo, q.mancante) == (D("19640.63"), D("847.55"))
    assert cofinanziamento_mancante(cfg, D("196406.30"), D("18793.08")) == D("847.55")


def test_ats_binding_13_64(cfg):
    rows = quadro_annuale(cfg, 2026)
    assert [r.codice for r in rows] == ["P1", "P2", "P3", "P4", "P5", "P6", "ATS"]
    ats = rows[-1]
    assert (ats.comunale, ats.cofinanziamento, ats.totale) == (D("1908181.78"), D("301374.01"), D("2209555.79"))
    assert percent(ats.quota.quota) == D("13.64")
    assert ats.quota.rispettato and ats.vincolante
    assert not any(r.vincolante for r in rows[:-1])
    assert [r.codice for r in rows if not r.quota.rispettato] == ["P4"]


def test_binding_level_configurable():
    cfg = parse_config(DEFAULT_CONFIG.read_text(encoding="utf-8").replace(
        'livello_vincolante = "ats"', 'livello_vincolante = "programma"', 1).replace(
        'livello_indicativo = "programma"', 'livello_indicativo = "ats"', 1))
    rows = quadro_annuale(cfg, 2026)
    assert all(r.vincolante for r in rows[:-1]) and not rows[-1].vincolante


def _with_planned_cost(programma: int, value: str):
    """The configuration with the programme's lowest planned grade set (as the Progetto definitivo will)."""
    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    marker = f"[[programmi]]\ncodice = {programma}\n"
    assert marker in text
    return parse_config(text.replace(marker, marker + f'costo_orario_minimo_previsto = "{value}"\n', 1))


def test_volunteer_cap_is_the_programmes_planned_lowest_grade():
    cfg = _with_planned_cost(2, "18.35")
    t = tariffa_volontari(cfg, 2026, 2)
    assert t.valore == D("18.35") and "Progetto definitivo" in t.fonte
    # another programme without the setting: the dated table
    assert tariffa_volontari(cfg, 2026, 1).valore == D("20.07")


def test_volunteer_cap_fallback_table(cfg):
    t = tariffa_volontari(cfg, 2026, 1)
    assert t.valore == D("20.07")
    assert "D.D. 30/2024" in t.fonte and "gennaio 2026" in t.fonte
    assert tariffa_tabellare(cfg, 2025).valore == D("20.07")  # before the table: the earliest rate


def test_planned_cost_must_be_positive():
    from addin.config import ConfigError

    with pytest.raises((ConfigError, ValueError)):
        _with_planned_cost(3, "0")


def test_reported_rows_never_change_the_cap(cfg, tmp_path):
    """Issue 11 point 4: a rejected row at 9.50 EUR/h used to lower every volunteer's value to 9.50."""
    from addin.casi.verifica import esegui_verifica
    from addin.workbook.reader import CartellaRendiconto

    d = dt.date(2026, 3, 10)
    low = Spesa(riga=4, azione="1.1", partner="Igea", categoria="Personale interno", descrizione="x",
                fornitore="Rossi Anna", numero_documento="1", data_documento=d, data_pagamento=d,
                modalita_pagamento="Contanti", importo=D("95.00"), persona="Rossi Anna", ore=D(10),
                costo_orario=D("9.50"), doc_giustificativo=True, doc_conservata=True, doc_trasmessa=True,
                data_trasmissione=d)
    voce = VoceCofinanziamento(riga=4, partner="Igea", azione="1.1", tipo="Volontariato",
                               quantita=D("10"), valore_unitario=D("25.00"))
    c = CartellaRendiconto(path=None, programma=1, anno=2026, versione="1", spese=[low], cofinanziamento=[voce],
                           budget=[], meta={}, avvisi=[])
    r = esegui_verifica(c, cfg, dt.date(2026, 4, 1))
    assert r.esiti[0].esito.value == "NON_AMMESSA"            # cash: not eligible
    assert r.tariffa.valore == D("20.07")                     # not 9.50
    assert r.cofin_valori[4] == D("200.70")                    # 10 h x 20.07 (25.00 capped)
    # an admitted row at 9.50 does not change it either
    ok = Spesa(**{**{f: getattr(low, f) for f in low.__slots__}, "modalita_pagamento": "Bonifico"})
    c.spese = [ok]
    r = esegui_verifica(c, cfg, dt.date(2026, 4, 1))
    assert r.esiti[0].esito.value == "AMMESSA" and r.cofin_valori[4] == D("200.70")


def test_fallback_table_is_dated():
    text = DEFAULT_CONFIG.read_text(encoding="utf-8") + (
        '[[volontari.tariffe]]\ndal = 2027-01-01\nvalore = "21.00"\nfonte = "ipotetica 2027"\n')
    cfg = parse_config(text)
    assert tariffa_tabellare(cfg, 2026).valore == D("20.07")
    assert tariffa_tabellare(cfg, 2027).valore == D("21.00")
    assert tariffa_tabellare(cfg, 2028).fonte == "ipotetica 2027"


def _voce(tipo, qty, unit, riga=4):
    return VoceCofinanziamento(riga=riga, partner="Igea", azione="1.1", tipo=tipo,
                               quantita=None if qty is None else D(qty), valore_unitario=D(unit))


def test_volunteer_value_capped():
    assert valore_voce(_voce("Volontariato", "10", "25.00"), D("18.35")) == D("183.50")
    assert valore_voce(_voce("Volontariato", "10", "15.00"), D("18.35")) == D("150.00")
    # non-volunteer values are not capped; empty quantity means 1
    assert valore_voce(_voce("Non monetario", None, "2500.00"), D("18.35")) == D("2500.00")
    assert valore_voce(_voce("Monetario", "1", "-10"), D("18.35")) == D("0.00")


def test_type_labels():
    assert tipo_cofinanziamento("Non monetario") is TipoCofinanziamento.NON_MONETARIO
    assert tipo_cofinanziamento("VOLONTARIATO") is TipoCofinanziamento.VOLONTARIATO
    assert tipo_cofinanziamento("monetario") is TipoCofinanziamento.MONETARIO
    assert tipo_cofinanziamento("Donazione") is None


def test_totals_by_type():
    voci = [_voce("Monetario", None, "1000.00", 4), _voce("Monetario", "2", "250.50", 5),
            _voce("Non monetario", "12", "40.00", 6), _voce("Volontariato", "30", "25.00", 7),
            _voce("Volontariato", "7.5", "10.00", 8), _voce("Sconosciuto", "1", "99.00", 9)]
    t = totali_cofinanziamento(voci, D("20.07"))
    assert t.monetario_dichiarato == D("1501.00")    # 1,000.00 + 501.00 (declared, until derived)
    assert t.non_monetario == D("480.00")            # 12 x 40.00
    assert t.volontariato == D("677.10")             # 30 x 20.07 (capped) + 7.5 x 10.00
    assert t.valorizzato == D("1157.10")
    # realised monetary = admitted 10,000.00 - contribution due 8,700.00 = 1,300.00; declared 1,501.00
    r = con_monetario_realizzato(t, D("10000.00"), D("8700.00"))
    assert (r.monetario, r.monetario_dichiarato, r.differenza_monetario) == (D("1300.00"), D("1501.00"), D("201.00"))
    assert r.totale == D("2457.10") and r.monetario_incoerente    # 1,300 + 480 + 677.10
    assert con_monetario_realizzato(t, D("100.00"), D("250.00")).monetario == D("0.00")   # never below 0


def test_monetary_reconciliation_tolerance_is_one_euro():
    t = TotaliCofinanziamento(D("0"), D("0"), D("0"), D("500.00"))
    assert not con_monetario_realizzato(t, D("1000.00"), D("501.00")).monetario_incoerente   # 499.00: 1.00 off
    assert con_monetario_realizzato(t, D("1000.00"), D("501.01")).monetario_incoerente       # 498.99: 1.01 off
    assert con_monetario_realizzato(t, D("1000.00"), D("498.99")).monetario_incoerente       # 501.01


def test_realised_share():
    t = TotaliCofinanziamento(D("500.00"), D("300.00"), D("200.00"))
    cfg = parse_config(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    q = verifica_realizzato(cfg, D("10000.00"), t)
    # total cost = 10,000 admitted + 500 valued; co-financing 1,000 -> 9.52%
    assert q.base == D("10500.00") and q.cofinanziamento == D("1000.00")
    assert percent(q.quota) == D("9.52") and not q.rispettato
    # minimum on the municipal part 10,500 - 1,000 = 9,500: 9,500 / 9 = 1,055.56; missing 55.56
    assert q.minimo == D("1055.56") and q.mancante == D("55.56")


def test_p1_admitted_equal_to_the_plan_realises_the_planned_share(cfg):
    """Issue 11: admitted spending equal to the plan (722,461.31 + 88,436.17 = 810,897.48, nothing valued)
    gives the full contribution, a monetary co-financing of 88,436.17 and the planned share 10.91%."""
    from addin.rules.tranches import liquidazione

    admitted = D("810897.48")
    liq = liquidazione(cfg, 2026, D("722461.31"), D("810897.48"), admitted, admitted)
    assert liq.contributo_finale == D("722461.31")
    t = con_monetario_realizzato(TotaliCofinanziamento(D("0"), D("0"), D("0")), admitted, liq.contributo_finale)
    assert t.monetario == D("88436.17")                  # 810,897.48 - 722,461.31
    q = verifica_realizzato(cfg, admitted, t, liq.contributo_finale)
    assert percent(q.quota) == D("10.91") and q.rispettato   # 88,436.17 / 810,897.48 = 10.906%


def test_contribution_due_counts_valued_resources_and_never_exceeds_admitted(cfg):
    from addin.rules.tranches import liquidazione

    # P3 2026: planned 8,604.80 + 12,334.62 = 20,939.42. Admitted 5,000.00 + non-monetary 6,000.00 +
    # volunteers 2,000.00 = realised 13,000.00: 8,604.80 x 13,000 / 20,939.42 = 5,342.19 > admitted 5,000
    liq = liquidazione(cfg, 2026, D("8604.80"), D("20939.42"), D("13000.00"), D("5000.00"))
    assert liq.contributo_proporzionale == D("5342.19") and liq.contributo_finale == D("5000.00")
    assert liq.cofinanziamento_monetario == D("0.00")
    # admitted 15,000.00 alone: 8,604.80 x 15,000 / 20,939.42 = 6,164.07 due; monetary 15,000 - 6,164.07 = 8,835.93
    liq = liquidazione(cfg, 2026, D("8604.80"), D("20939.42"), D("15000.00"), D("15000.00"))
    assert liq.contributo_finale == D("6164.07") and liq.cofinanziamento_monetario == D("8835.93")


def test_reduction_restoring_the_ats_share_allocated_by_shortfall(cfg):
    """Σ C − 0.9 × Σ V, allocated to the programmes below 10% in proportion to their own shortfall
    C − 0.9 × V. Figures by hand:
      P1 C 900, V 1000: limit 900, shortfall 0 (exactly 10%)   P2 C 950, V 1000: shortfall 50
      P3 C 1930, V 2000: limit 1800, shortfall 130             P4 C 850, V 1000: shortfall 0 (15%)
      Σ C 4630, Σ V 5000: reduction 4630 − 4500 = 130, split 50 : 130 -> 36.11 and 93.89."""
    rq = riduzione_quota(cfg, [(1, D("900.00"), D("1000.00")), (2, D("950.00"), D("1000.00")),
                               (3, D("1930.00"), D("2000.00")), (4, D("850.00"), D("1000.00"))])
    assert rq.totale == D("130.00")
    assert rq.scoperto == {1: D("0.00"), 2: D("50.00"), 3: D("130.00"), 4: D("0.00")}
    assert rq.per_programma == {1: D("0.00"), 2: D("36.11"), 3: D("93.89"), 4: D("0.00")}
    # the ATS above 10%: nothing, even with a programme below
    rq = riduzione_quota(cfg, [(2, D("950.00"), D("1000.00")), (4, D("500.00"), D("1000.00"))])
    assert rq.totale == D("0.00") and rq.per_programma == {2: D("0.00"), 4: D("0.00")}


def test_reduction_at_programme_level_when_configured():
    cfg = parse_config(DEFAULT_CONFIG.read_text(encoding="utf-8").replace(
        'livello_vincolante = "ats"', 'livello_vincolante = "programma"', 1).replace(
        'livello_indicativo = "programma"', 'livello_indicativo = "ats"', 1))
    rq = riduzione_quota(cfg, [(2, D("950.00"), D("1000.00")), (4, D("500.00"), D("1000.00"))])
    assert rq.per_programma == {2: D("50.00"), 4: D("0.00")} and rq.totale == D("50.00")


# --- the date of non-monetary and volunteer rows (column «Data») ---------------------------------------

def _datata(riga, tipo, qty, unit, data=None):
    return VoceCofinanziamento(riga=riga, partner="Auser", azione="1.1", tipo=tipo, descrizione="x",
                               quantita=D(qty), valore_unitario=D(unit), data=data)


def test_undated_row_waits_for_the_last_lock_then_is_excluded(cfg):
    from addin.rules.cofinancing import valuta_voci
    from addin.rules.models import Esito

    voci = [_datata(4, "Volontariato", "10", "20.00"), _datata(5, "Non monetario", "1", "300.00"),
            _datata(6, "Monetario", "1", "500.00")]
    # 2026: the last window (3) locks on 31/01/2027
    e = valuta_voci(cfg, 2026, dt.date(2027, 1, 31), voci, con_data=True)
    assert [(x.esito, [m.codice for m in x.motivi]) for x in e] == [
        (Esito.DA_INTEGRARE, ["COFINANZIAMENTO_SENZA_DATA"]), (Esito.DA_INTEGRARE, ["COFINANZIAMENTO_SENZA_DATA"]),
        (Esito.AMMESSA, [])]                         # a monetary row needs no date
    msg = e[0].motivi[0].messaggio
    assert "Voce di volontariato senza data" in msg and "colonna «Data»" in msg and "31/01/2027" in msg
    assert "la risorsa è stata messa a disposizione" in e[1].motivi[0].messaggio
    e = valuta_voci(cfg, 2026, dt.date(2027, 2, 1), voci, con_data=True)
    assert [x.esito for x in e] == [Esito.ESCLUSA, Esito.ESCLUSA, Esito.AMMESSA]
    assert "Non integrata entro il blocco del 31/01/2027: esclusa." in e[0].motivi[0].messaggio
    # an older workbook without the column: nothing asked, counted as before
    e = valuta_voci(cfg, 2026, dt.date(2027, 2, 1), voci, con_data=False)
    assert [(x.esito, x.motivi) for x in e] == [(Esito.AMMESSA, [])] * 3


def test_dated_rows_get_their_window_and_out_of_year_rows_are_not_counted(cfg):
    from addin.rules.cofinancing import valuta_voci
    from addin.rules.models import Esito

    voci = [_datata(4, "Volontariato", "10", "20.00", dt.date(2026, 4, 30)),    # window 1 (Jan-Apr)
            _datata(5, "Volontariato", "10", "20.00", dt.date(2026, 5, 1)),     # window 2 (May-Aug)
            _datata(6, "Non monetario", "1", "300.00", dt.date(2026, 12, 1)),   # window 3 (Sep-Dec)
            _datata(7, "Volontariato", "10", "20.00", dt.date(2025, 12, 1)),    # 2025: not this year
            _datata(8, "Non monetario", "1", "300.00", dt.date(2027, 1, 1))]    # 2027: not this year
    e = valuta_voci(cfg, 2026, dt.date(2026, 6, 1), voci, con_data=True)
    assert [(x.esito, x.finestra, [m.codice for m in x.motivi]) for x in e] == [
        (Esito.AMMESSA, 1, []), (Esito.AMMESSA, 2, []), (Esito.AMMESSA, 3, []),
        (Esito.NON_AMMESSA, None, ["DATA_FUORI_PERIODO"]), (Esito.NON_AMMESSA, None, ["DATA_FUORI_PERIODO"])]
    assert e[3].motivi[0].messaggio == ("Voce di volontariato datata 01/12/2025, fuori dall'anno 2026 della "
                                        "rendicontazione: non conteggiata.")


def test_check_counts_only_dated_rows_of_the_year(cfg):
    """esegui_verifica with the column «Data»: volunteers 10 h × 20.07 (25.00 capped) = 200.70 dated in
    window 1 and non-monetary 2 × 30.00 = 60.00 dated in window 2 count; an undated volunteer row (5 h) and a
    non-monetary row of 2025 (1 × 999.00) do not: volunteers 200.70, non-monetary 60.00."""
    from addin.casi.verifica import esegui_verifica, risultato_json
    from addin.workbook.reader import CartellaRendiconto

    voci = [_datata(4, "Volontariato", "10", "25.00", dt.date(2026, 3, 1)),
            _datata(5, "Non monetario", "2", "30.00", dt.date(2026, 6, 1)),
            _datata(6, "Volontariato", "5", "20.00"),
            _datata(7, "Non monetario", "1", "999.00", dt.date(2025, 11, 1))]
    c = CartellaRendiconto(path=None, programma=1, anno=2026, versione="1", spese=[], cofinanziamento=voci,
                           budget=[], meta={}, avvisi=[], cofin_con_data=True)
    r = esegui_verifica(c, cfg, dt.date(2026, 7, 1))
    assert (r.cofin_totali.volontariato, r.cofin_totali.non_monetario) == (D("200.70"), D("60.00"))
    assert r.cofin_valori == {4: D("200.70"), 5: D("60.00"), 6: D("0.00"), 7: D("0.00")}
    assert any("riga 6 (DA_INTEGRARE)" in a and "senza data" in a for a in r.avvisi), r.avvisi
    assert any("riga 7 (NON_AMMESSA)" in a and "01/11/2025" in a for a in r.avvisi), r.avvisi
    voci_json = risultato_json(r)["voci_cofinanziamento"]
    assert [(v["riga"], v["esito"], v["finestra"], v["valore"]) for v in voci_json] == [
        (4, "AMMESSA", 1, "200.70"), (5, "AMMESSA", 2, "60.00"), (6, "DA_INTEGRARE", None, "0.00"),
        (7, "NON_AMMESSA", None, "0.00")]


def test_volunteer_row_sealed_with_window_1_then_altered_is_not_counted(cfg):
    """Window 1 of 2026 locks on 31/05: `blocca` on 01/06 seals the volunteer row dated 10/03 (10 h × 20.07
    = 200.70). Its hours changed afterwards to 100 (2,007.00 if believed): RIGA_SIGILLATA_MODIFICATA, the row
    is not counted (as a changed sealed expense is not admitted); the row of window 2 (15/06, 3 × 40.00 =
    120.00) is still open and counts."""
    from addin.casi.verifica import esegui_verifica
    from addin.rules.models import Esito
    from addin.workbook.reader import CartellaRendiconto
    from addin.workbook.seals import leggi_sigilli, nuovi_sigilli

    key = b"chiave-di-prova-del-comune-0123456789"
    voci = [_datata(4, "Volontariato", "10", "20.07", dt.date(2026, 3, 10)),
            _datata(5, "Non monetario", "3", "40.00", dt.date(2026, 6, 15))]
    c = CartellaRendiconto(path=None, programma=1, anno=2026, versione="1", spese=[], cofinanziamento=voci,
                           budget=[], meta={"programma": "1"}, avvisi=[], cofin_con_data=True)
    when = dt.date(2026, 6, 1)
    for s in nuovi_sigilli(c, cfg, key, when):
        c.meta.update(dict(s.voci_meta()))
    assert [r.riga for r in leggi_sigilli(c.meta)["cofinanziamento1"].righe] == [4]
    r = esegui_verifica(c, cfg, when, chiave=key)
    assert r.cofin_valori == {4: D("200.70"), 5: D("120.00")} and r.sigilli.cofinanziamento == {}
    voci[0].quantita = D("100")
    r = esegui_verifica(c, cfg, when, chiave=key)
    assert r.cofin_valori == {4: D("0.00"), 5: D("120.00")}
    assert (r.cofin_totali.volontariato, r.cofin_totali.non_monetario) == (D("0.00"), D("120.00"))
    [e4, e5] = r.cofin_esiti
    assert (e4.esito, [m.codice for m in e4.motivi]) == (Esito.NON_AMMESSA, ["RIGA_SIGILLATA_MODIFICATA"])
    assert e5.esito is Esito.AMMESSA
    assert any("riga 4" in a and "Ore o quantità: 10 → 100" in a and "Voce non conteggiata" in a for a in r.avvisi)


# --- mutants that survived `make mutate` (docs/sviluppo.md): each test names what it kills ----------------

def test_row_value_without_unit_or_quantity_and_below_one_euro():
    # kills cofinancing.x_valore_voce__mutmut_3 (no unit value: 0, not a TypeError) and 24 (`value > 1`)
    assert valore_voce(VoceCofinanziamento(1, tipo="Non monetario", quantita=D("3")), D("20.00")) == D("0.00")
    assert valore_voce(VoceCofinanziamento(1, tipo="Non monetario", quantita=D("1"), valore_unitario=D("0.50")),
                       D("20.00")) == D("0.50")
    # no quantity: 1 × 7.00
    assert valore_voce(VoceCofinanziamento(1, tipo="Non monetario", valore_unitario=D("7.00")), D("20.00")) == D("7.00")


def test_minimum_and_largest_contribution_on_both_bases(cfg):
    from addin.rules.cofinancing import cofinanziamento_minimo, contributo_massimo_per_quota

    # kills x_cofinanziamento_minimo (no test before): 10% of 1,000.05 = 100.005 -> 100.01 (half up)
    assert cofinanziamento_minimo(cfg, D("1000.05")) == D("100.01")
    # total-cost base: (1 − 0.10) × 1,000.00 = 900.00
    assert contributo_massimo_per_quota(cfg, D("1000.00")) == D("900.00")
    # municipal base: 1,000.00 / 1.10 = 909.0909... -> 909.09 (kills x_contributo_massimo_per_quota 10-14)
    mun = parse_config(DEFAULT_CONFIG.read_text(encoding="utf-8").replace(
        'base = "costo_totale"', 'base = "finanziamento_comunale"', 1))
    assert contributo_massimo_per_quota(mun, D("1000.00")) == D("909.09")
    # a minimum share of 100% on the total-cost base (allowed by the configuration): no division by
    # 1 − 1 = 0, the municipal amount itself (kills x_cofinanziamento_minimo_comunale 6, 13-15)
    from addin.rules.cofinancing import cofinanziamento_minimo_comunale

    full = parse_config(DEFAULT_CONFIG.read_text(encoding="utf-8").replace('quota_minima = "0.10"', 'quota_minima = "1"', 1))
    assert cofinanziamento_minimo_comunale(full, D("100.00")) == D("100.00")
    # 10% on the total-cost base: 196,406.30 × 0.10 / 0.90 = 21,822.92 (P4 2026)
    assert cofinanziamento_minimo_comunale(cfg, D("196406.30")) == D("21822.92")


def test_reduction_below_one_euro_and_shortfalls_at_programme_level(cfg):
    # P2 C 900.50, V 1,000.00: limit 900.00, shortfall 0.50, and the ATS (P2 alone) is short by 0.50 too:
    # 0.50 is allocated (kills x_riduzione_quota__mutmut_65, `reduction > 1`)
    rq = riduzione_quota(cfg, [(2, D("900.50"), D("1000.00"))])
    assert (rq.totale, rq.per_programma) == (D("0.50"), {2: D("0.50")})
    # programme level: the shortfalls are kept as well (kills 17)
    prog = parse_config(DEFAULT_CONFIG.read_text(encoding="utf-8").replace(
        'livello_vincolante = "ats"', 'livello_vincolante = "programma"', 1).replace(
        'livello_indicativo = "programma"', 'livello_indicativo = "ats"', 1))
    rq = riduzione_quota(prog, [(2, D("950.00"), D("1000.00")), (4, D("500.00"), D("1000.00"))])
    assert rq.scoperto == {2: D("50.00"), 4: D("0.00")}


def test_dated_rows_first_and_last_day_and_undated_messages_word_for_word(cfg):
    from addin.rules.cofinancing import valuta_voci
    from addin.rules.models import Esito

    # 01/01/2026 and 31/12/2026 are in the year (kills x_valuta_voci 20, 21, 68, 69)
    voci = [_datata(4, "Non monetario", "1", "10.00", dt.date(2026, 1, 1)),
            _datata(5, "Volontariato", "1", "10.00", dt.date(2026, 12, 31))]
    assert [(x.esito, x.finestra, x.motivi) for x in valuta_voci(cfg, 2026, dt.date(2026, 6, 1), voci, con_data=True)] \
        == [(Esito.AMMESSA, 1, []), (Esito.AMMESSA, 3, [])]
    # undated rows: what to write, by kind (kills 60, 62, 63, 65)
    e = valuta_voci(cfg, 2026, dt.date(2026, 6, 1), [_datata(6, "Volontariato", "1", "10.00"),
                                                      _datata(7, "Non monetario", "1", "10.00")], con_data=True)
    assert [m.messaggio for x in e for m in x.motivi] == [
        "Voce di volontariato senza data: indicare nella colonna «Data» il giorno (o il primo giorno del mese) in cui "
        "le ore sono state svolte entro il blocco del 31/01/2027; fino ad allora non è conteggiata.",
        "Voce non monetaria senza data: indicare nella colonna «Data» il giorno (o il primo giorno del mese) in cui "
        "la risorsa è stata messa a disposizione entro il blocco del 31/01/2027; fino ad allora non è conteggiata."]


def test_row_reasons_from_outside_exclude_and_only_integrable_ones_are_closed(cfg):
    from addin.rules.cofinancing import valuta_voci
    from addin.rules.models import Esito, Motivo

    voci = [_datata(4, "Non monetario", "1", "10.00", dt.date(2026, 3, 1)), _datata(5, "Volontariato", "1", "10.00")]
    extra = {4: [Motivo("INSERIMENTO_RETROATTIVO", "Inserita dopo il blocco.")],
             5: [Motivo("FORNITORE_PARTNER_ATS", "Segnalazione.")]}
    # an "esclusa" reason excludes (kills x_valuta_voci 92, 93, 95); after the last lock (31/01/2027) the
    # undated row is excluded and only its integrable reason says so (kills 105, 106)
    e = valuta_voci(cfg, 2026, dt.date(2027, 2, 1), voci, con_data=True, motivi_extra=extra)
    assert e[0].esito is Esito.ESCLUSA and [m.codice for m in e[0].motivi] == ["INSERIMENTO_RETROATTIVO"]
    assert e[1].esito is Esito.ESCLUSA
    assert [(m.codice, m.messaggio.endswith("Non integrata entro il blocco del 31/01/2027: esclusa."))
            for m in e[1].motivi] == [("COFINANZIAMENTO_SENZA_DATA", True), ("FORNITORE_PARTNER_ATS", False)]


def test_declared_totals_monetary_warning_and_realised_share_on_the_municipal_base():
    from addin.rules.cofinancing import avviso_monetario

    # kills x_totali_cofinanziamento 12: the declared monetary total is both the (provisional) realised
    # and the declared one
    t = totali_cofinanziamento([VoceCofinanziamento(1, tipo="Monetario", quantita=D("1"), valore_unitario=D("500.00"))],
                               D("20.00"))
    assert t == TotaliCofinanziamento(D("500.00"), D("0.00"), D("0.00"), D("500.00"))
    # kills x_avviso_monetario 1-7: word for word (declared 520.00, realised 500.00: difference 20.00)
    assert avviso_monetario(TotaliCofinanziamento(D("500.00"), D("0.00"), D("0.00"), D("520.00")), "Programma 3: ") == (
        "Programma 3: COFINANZIAMENTO_MONETARIO_INCOERENTE: cofinanziamento monetario dichiarato 520,00 €, realizzato "
        "500,00 € (spesa ammessa meno contributo dovuto): differenza 20,00 €. Vale il realizzato; verificare le "
        "righe «Monetario» del foglio Cofinanziamento.")
    # kills x_verifica_realizzato 6-10: on the municipal base the base is the contribution due when known,
    # else admitted − monetary: 1,000.00 − 100.00 = 900.00 (co-financing 100 + 50 = 150.00, minimum 10%)
    mun = parse_config(DEFAULT_CONFIG.read_text(encoding="utf-8").replace(
        'base = "costo_totale"', 'base = "finanziamento_comunale"', 1))
    t = TotaliCofinanziamento(D("100.00"), D("50.00"), D("0.00"))
    q = verifica_realizzato(mun, D("1000.00"), t)
    assert (q.base, q.cofinanziamento, q.minimo) == (D("900.00"), D("150.00"), D("90.00"))
    q = verifica_realizzato(mun, D("1000.00"), t, contributo_comunale=D("850.00"))
    assert (q.base, q.minimo) == (D("850.00"), D("85.00"))
