"""Co-financing: seed shares (P4 below 10%, ATS 13.64% binding), volunteers' hourly cap, totals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from addin.config import DEFAULT_CONFIG, parse_config
from addin.overview import quadro_annuale
from addin.rules.cofinancing import (tariffa_tabellare, tariffa_volontari, tipo_cofinanziamento,
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
    assert q.minimo == D("21519.94")          # 10% of 215,199.38, half-up
    assert q.mancante == D("2726.86")         # 21,519.94 - 18,793.08
    assert not q.rispettato


def test_p4_on_municipal_base():
    cfg = parse_config(DEFAULT_CONFIG.read_text(encoding="utf-8").replace(
        'base = "costo_totale"', 'base = "finanziamento_comunale"', 1))
    q = verifica_budget(cfg, D("196406.30"), D("18793.08"))
    assert percent(q.quota) == D("9.57") and not q.rispettato


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
    from addin.check import esegui_verifica
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
    assert t.monetario == D("1501.00")               # 1,000.00 + 501.00
    assert t.non_monetario == D("480.00")            # 12 x 40.00
    assert t.volontariato == D("677.10")             # 30 x 20.07 (capped) + 7.5 x 10.00
    assert t.totale == D("2658.10")
    assert t.valorizzato == D("1157.10")


def test_realised_share():
    from addin.rules.cofinancing import TotaliCofinanziamento

    t = TotaliCofinanziamento(D("500.00"), D("300.00"), D("200.00"))
    cfg = parse_config(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    q = verifica_realizzato(cfg, D("10000.00"), t)
    # total cost = 10,000 admitted + 500 valued; co-financing 1,000 -> 9.52%
    assert q.base == D("10500.00") and q.cofinanziamento == D("1000.00")
    assert percent(q.quota) == D("9.52") and not q.rispettato and q.mancante == D("50.00")
