"""The embedded Crema configuration and the Italian errors of a broken configuration file."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from addin.config import DEFAULT_CONFIG, ConfigError, load_config, parse_config

TEXT = DEFAULT_CONFIG.read_text(encoding="utf-8")

# Seed figures (presentation of the Comune, 25.02.2026): comunale / cofinanziamento, same each year
SEED = {
    1: ("722461.31", "88436.17", 5),
    2: ("105434.22", "42725.44", 4),
    3: ("8604.80", "12334.62", 2),
    4: ("196406.30", "18793.08", 3),
    5: ("754694.84", "102037.39", 3),
    6: ("120580.31", "37047.31", 4),
}

PARTNERS = ["Consorzio Arcobaleno", "Igea", "Scacco Matto", "Mestieri", "Aurora Domus", "Cospes", "Koala",
            "Sentiero", "Meraki", "Insieme per la famiglia", "Circolo Acli Crema", "Mai Stati sulla Luna?",
            "Arci Porto Sicuro", "Fondazione Alba Anffas Crema", "Fondazione Don Angelo Madeo", "Auser",
            "Associazione Noi Crema", "Charta", "Comunità Papa Giovanni XXIII", "CSV"]


def test_embedded_config_loads(cfg):
    assert cfg.ente == "Comune di Crema"
    assert cfg.ats == "Impronte Sociali 2.0"
    assert cfg.periodo.inizio == dt.date(2026, 1, 1) and cfg.periodo.fine == dt.date(2028, 12, 31)
    assert cfg.periodo.anni == [2026, 2027, 2028]
    assert load_config() == cfg


@pytest.mark.parametrize("anno", [2026, 2027, 2028])
@pytest.mark.parametrize("codice", sorted(SEED))
def test_seed_budgets(cfg, codice, anno):
    comunale, cofin, n_actions = SEED[codice]
    p = cfg.programma(codice)
    b = p.budget_anno(anno)
    assert (b.comunale, b.cofinanziamento) == (D(comunale), D(cofin))
    assert len(p.azioni) == n_actions
    assert p.codici_azioni == [f"{codice}.{i}" for i in range(1, n_actions + 1)]


@pytest.mark.parametrize("anno", [2026, 2027, 2028])
def test_seed_totals(cfg, anno):
    assert sum(p.budget_anno(anno).comunale for p in cfg.programmi) == D("1908181.78")
    assert sum(p.budget_anno(anno).cofinanziamento for p in cfg.programmi) == D("301374.01")


def test_partners_and_capofila(cfg):
    assert [p.nome for p in cfg.partner] == PARTNERS
    assert len(cfg.partner) == 20
    assert cfg.capofila.nome == "Consorzio Arcobaleno"
    assert [p.nome for p in cfg.partner if p.capofila] == ["Consorzio Arcobaleno"]


def test_programmes_identified_by_code(cfg):
    # the seed names P3 and P5 twice with different words; P6 actions 2 and 3 share a title
    assert cfg.programma(3).nome.startswith("Cultura ed educazione permanente")
    assert cfg.programma(3).nome_alternativo.startswith("Cultura e tempo libero")
    assert cfg.programma(5).nome == "Inserimento socio-lavorativo"
    assert cfg.programma(5).nome_alternativo == "Inclusione socio-lavorativa"
    p6 = {a.codice: a.titolo for a in cfg.programma(6).azioni}
    assert p6["6.2"] == p6["6.3"]
    assert cfg.programma(6).codici_azioni == ["6.1", "6.2", "6.3", "6.4"]
    with pytest.raises(KeyError):
        cfg.programma(7)


def test_rules_defaults(cfg):
    assert cfg.cofinanziamento.quota_minima == D("0.10")
    assert cfg.cofinanziamento.base == "costo_totale"
    assert cfg.cofinanziamento.livello_vincolante == "ats"
    assert cfg.limiti.spese_generali_quota == D("0.10")
    assert cfg.limiti.contanti_massimo == D("0")
    assert cfg.campionamento.quota == D("0.10") and cfg.campionamento.minimo == 1
    assert cfg.regole.data_decisiva == "competenza"   # issue 11: by competence, payment by the lock
    assert cfg.regole.tolleranza_personale == D("1.00")
    assert [t.quota for t in cfg.tranche] == [D("0.60"), D("0.30"), D("0.10")]
    assert [(f.fine, f.blocco) for f in cfg.finestre] == [("04-30", "05-31"), ("08-31", "09-30"),
                                                          ("12-31", "01-31")]
    assert [t.valore for t in cfg.volontari.tariffe] == [D("20.07"), D("20.07")]
    assert {c.codice for c in cfg.categorie} == {"PERSONALE_INTERNO", "PERSONALE_ESTERNO", "BENI",
                                                 "SERVIZI", "SPESE_GENERALI"}
    for c in cfg.categorie:
        assert c.documenti_prova and c.documenti_conservati and c.documenti_trasmessi
    assert "Contanti" in {m.nome for m in cfg.modalita_pagamento if not m.tracciabile}


# --- broken configuration files ------------------------------------------------------------------

def _broken(old: str, new: str) -> str:
    assert TEXT.count(old) >= 1, old
    return TEXT.replace(old, new, 1)


def _error(text: str) -> str:
    with pytest.raises(ConfigError) as exc:
        parse_config(text, "crema.toml")
    return str(exc.value)


def test_toml_syntax_error_names_line():
    msg = _error(_broken('ente = "Comune di Crema"', 'ente = Comune di Crema"'))
    assert msg.startswith("crema.toml: TOML non valido alla riga 8")
    assert "ente = Comune di Crema" in msg


def test_wrong_type_names_the_key():
    msg = _error(_broken('2026 = { comunale = "196406.30"', '2026 = { comunale = "centomila"'))
    assert "programmi.3.budget.2026.comunale" in msg
    assert "codice = 4" in msg  # which [[programmi]] element (list index 3 is programme 4)
    assert "non è un numero" in msg


def test_boolean_instead_of_amount():
    msg = _error(_broken('2026 = { comunale = "196406.30"', '2026 = { comunale = true'))
    assert "programmi.3.budget.2026.comunale" in msg and "deve essere un numero" in msg


def test_missing_key():
    msg = _error(_broken('2027 = { comunale = "8604.80", ', '2027 = { '))
    assert "programmi.2.budget.2027.comunale" in msg and "chiave obbligatoria mancante" in msg


def test_missing_year_of_the_period():
    msg = _error(_broken('2028 = { comunale = "120580.31", cofinanziamento = "37047.31" }', ''))
    assert "programmi.5.budget" in msg and "2028" in msg


def test_two_capofila():
    msg = _error(_broken('nome = "Igea"', 'nome = "Igea"\ncapofila = true'))
    assert "partner" in msg and "capofila" in msg


def test_tranche_quotas_must_sum_to_one():
    msg = _error(_broken('quota = "0.30"', 'quota = "0.25"'))
    assert "tranche" in msg and "sommare a 1" in msg


def test_unknown_key():
    msg = _error(_broken("[limiti]", "[limiti]\nspese_generali_massime = 5"))
    assert "limiti.spese_generali_massime: chiave non prevista" in msg


def test_out_of_range_share():
    msg = _error(_broken('quota_minima = "0.10"', 'quota_minima = "1.5"'))
    assert "cofinanziamento.quota_minima" in msg and "troppo grande" in msg


def test_action_of_another_programme():
    msg = _error(_broken('{ codice = "6.4", titolo', '{ codice = "5.4", titolo'))
    assert "programmi.5" in msg and "5.4" in msg


def test_bad_month_day():
    msg = _error(_broken('blocco = "05-31"', 'blocco = "05-32"'))
    assert "finestre.0.blocco" in msg


def test_windows_must_tile_the_year():
    msg = _error(_broken('inizio = "05-01"', 'inizio = "05-02"'))
    assert "finestre.1" in msg


def test_several_errors_listed_together():
    text = _broken("[limiti]", "[limiti]\nx = 1")
    text = text.replace('2026 = { comunale = "196406.30"', '2026 = { comunale = "?"', 1)
    msg = _error(text)
    assert "limiti.x" in msg and "programmi.3.budget.2026.comunale" in msg


def test_unreadable_file(tmp_path):
    with pytest.raises(ConfigError, match="impossibile leggere"):
        load_config(tmp_path / "manca.toml")
    bad = tmp_path / "latin1.toml"
    bad.write_bytes('nome = "Comunit\xe0"'.encode("latin-1"))
    with pytest.raises(ConfigError, match="UTF-8"):
        load_config(bad)


def test_file_error_names_the_file(tmp_path):
    f = tmp_path / "mia.toml"
    f.write_text(TEXT.replace('quota = "0.30"', 'quota = "0.35"', 1), encoding="utf-8")
    with pytest.raises(ConfigError) as exc:
        load_config(f)
    assert str(f) in str(exc.value)


def test_lock_before_window_end():
    msg = _error(_broken('blocco = "05-31"', 'blocco = "04-15"'))
    assert "finestre.0.blocco" in msg and "precede la fine" in msg


def test_repeated_category_code():
    msg = _error(_broken('codice = "SERVIZI"', 'codice = "BENI"'))
    assert "categorie: codici ripetuti" in msg
