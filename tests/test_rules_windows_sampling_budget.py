"""Reporting windows, the personnel audit sample and the budget use per action x category."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import random
from decimal import Decimal as D

import pytest

from addin.rules.budget import VoceBudget, uso_budget
from addin.rules.eligibility import Contesto, valuta_spese
from addin.rules.models import Spesa
from addin.rules.sampling import campione_personale, campioni_personale, campioni_programma, dimensione_campione
from addin.rules.windows import finestra_chiusa, finestra_di, finestre_anno, scadenza_blocco

d = dt.date


# --- windows --------------------------------------------------------------------------------------

@pytest.mark.parametrize("day,numero,blocco", [
    (d(2026, 1, 1), 1, d(2026, 5, 31)), (d(2026, 4, 30), 1, d(2026, 5, 31)),
    (d(2026, 5, 1), 2, d(2026, 9, 30)), (d(2026, 8, 31), 2, d(2026, 9, 30)),
    (d(2026, 9, 1), 3, d(2027, 1, 31)), (d(2026, 12, 31), 3, d(2027, 1, 31)),
    (d(2028, 2, 29), 1, d(2028, 5, 31)),
])
def test_window_of_a_date(cfg, day, numero, blocco):
    f = finestra_di(cfg, day)
    assert (f.numero, f.anno, f.blocco) == (numero, day.year, blocco)
    assert scadenza_blocco(cfg, day) == blocco


def test_window_closed_after_lock_day(cfg):
    assert not finestra_chiusa(cfg, d(2026, 3, 1), d(2026, 5, 31))
    assert finestra_chiusa(cfg, d(2026, 3, 1), d(2026, 6, 1))
    f = finestra_di(cfg, d(2026, 10, 1))
    assert [f.stato(x) for x in (d(2026, 8, 1), d(2026, 10, 2), d(2027, 1, 31), d(2027, 2, 1))] == [
        "NON INIZIATA", "APERTA", "APERTA", "CHIUSA"]
    assert f.etichetta == "3/2026"
    assert "blocco il 31/01/2027" in f.descrizione


def test_windows_of_a_year(cfg):
    ws = finestre_anno(cfg, 2027)
    assert [(w.inizio, w.fine) for w in ws] == [(d(2027, 1, 1), d(2027, 4, 30)), (d(2027, 5, 1), d(2027, 8, 31)),
                                                (d(2027, 9, 1), d(2027, 12, 31))]


# --- sampling -------------------------------------------------------------------------------------

# "fino al 10%": floor(10% x persons), at least 1 when there is anyone (issue 11: 11 -> 1, 21 -> 2, 29 -> 2)
@pytest.mark.parametrize("persone,size", [(0, 0), (1, 1), (5, 1), (10, 1), (11, 1), (20, 2), (21, 2), (29, 2),
                                          (30, 3), (100, 10), (101, 10)])
def test_sample_size_rounds_down(cfg, persone, size):
    assert dimensione_campione(cfg, persone) == size


def _cfg_text(old, new):
    from addin.config import DEFAULT_CONFIG, parse_config

    text = DEFAULT_CONFIG.read_text(encoding="utf-8")
    assert old in text
    return parse_config(text.replace(old, new, 1))


@pytest.mark.parametrize("persone,size", [(0, 0), (5, 1), (11, 2), (21, 3), (29, 3), (30, 3)])
def test_sample_size_rounding_up_configurable(persone, size):
    up = _cfg_text('arrotondamento = "difetto"', 'arrotondamento = "eccesso"')
    assert dimensione_campione(up, persone) == size   # ceil(0.1 x n): 1.1 -> 2, 2.1 -> 3, 2.9 -> 3


def test_sample_rounding_must_be_known():
    from addin.config import ConfigError

    with pytest.raises((ConfigError, ValueError)):
        _cfg_text('arrotondamento = "difetto"', 'arrotondamento = "a caso"')


def _staff(n, month=3, categoria="Personale interno"):
    return [Spesa(riga=4 + i, categoria=categoria, persona=f"Persona {i:02d}",
                  data_pagamento=d(2026, month, 10)) for i in range(n)]


def test_sample_reproducible_and_reports_seed(cfg):
    rows = _staff(25)
    a = campione_personale(cfg, rows, 1, 2026, 1, seme=12345)
    b = campione_personale(cfg, list(reversed(rows)), 1, 2026, 1, seme=12345)
    assert a.seme == 12345 and a.persone == 25 and a.dimensione == 2      # floor(2.5)
    assert a.origine_seme == "indicato" and not a.provvisorio
    assert a.estratti == b.estratti and len(set(a.estratti)) == 2
    assert all(a.righe[p] == [4 + int(p[-2:])] for p in a.estratti)
    # the draw, by hand: the population sorted by identity (normalised name), sampled with the seed
    population = sorted(f"nome:persona {i:02d}" for i in range(25))
    expected = [f"Persona {x[-2:]}" for x in random.Random(12345).sample(population, 2)]
    assert a.estratti == expected


def test_sample_changes_with_seed(cfg):
    rows = _staff(25)
    samples = {tuple(campione_personale(cfg, rows, 1, 2026, 1, seme=s).estratti) for s in range(1, 11)}
    assert len(samples) > 1


def test_seed_from_the_comune_key(cfg):
    key = b"chiave-del-comune-per-le-prove-0123456789"
    # HMAC-SHA256(key, "rendiconta-campione|3|2026|S1"), first 6 bytes, computed here by hand
    digest = hmac.new(key, b"rendiconta-campione|3|2026|S1", hashlib.sha256).digest()
    seed = int.from_bytes(digest[:6], "big")
    c = campione_personale(cfg, _staff(12), 3, 2026, 1, chiave=key)
    assert (c.seme, c.origine_seme, c.provvisorio) == (seed, "chiave", False)
    assert (c.anno, c.semestre, c.persone, c.dimensione) == (2026, 1, 12, 1)   # 10% of 12 down, at least 1
    population = sorted(f"nome:persona {i:02d}" for i in range(12))
    assert c.estratti == [f"Persona {x[-2:]}" for x in random.Random(seed).sample(population, 1)]
    # another semester, programme or key: another seed; the officer's seed wins over the key
    assert campione_personale(cfg, _staff(12), 3, 2026, 2, chiave=key).seme != seed
    assert campione_personale(cfg, _staff(12), 4, 2026, 1, chiave=key).seme != seed
    assert campione_personale(cfg, _staff(12), 3, 2026, 1, chiave=key + b"x").seme != seed
    assert campione_personale(cfg, _staff(12), 3, 2026, 1, seme=7, chiave=key).seme == 7


def test_the_provisional_seed_is_a_32_bit_number(cfg, monkeypatch):
    """Printed in the report and typed back by the officer: at most 2**32 - 1 = 4,294,967,295 (the largest
    value the random source may give is taken here)."""
    import addin.rules.sampling as sampling

    monkeypatch.setattr(sampling.secrets, "randbits", lambda n: (1 << n) - 1)
    assert campione_personale(cfg, _staff(12), 3, 2026, 1).seme == 4_294_967_295


def test_without_seed_or_key_the_sample_is_provisional(cfg):
    """No public default seed: a partner cannot compute the draw from programme, year and semester."""
    public = int(hashlib.sha256(b"rendiconta-3-2026-S1").hexdigest()[:8], 16)   # the old public default
    draws = [campione_personale(cfg, _staff(40), 3, 2026, 1) for _ in range(8)]
    assert all(c.provvisorio and c.origine_seme == "provvisorio" for c in draws)
    assert "PROVVISORIO" in draws[0].descrizione_seme()
    assert all(c.seme != public for c in draws)
    assert len({c.seme for c in draws}) > 1          # random, not derived from public data
    # the seed is printed: the officer can redraw the same sample by giving it
    again = campione_personale(cfg, _staff(40), 3, 2026, 1, seme=draws[0].seme)
    assert again.estratti == draws[0].estratti and not again.provvisorio


def test_sample_counts_distinct_persons_of_the_semester(cfg):
    rows = [Spesa(riga=4, categoria="Personale interno", persona="Anna Verdi", data_pagamento=d(2026, 2, 1)),
            Spesa(riga=5, categoria="Personale interno", persona=" anna verdi ", data_pagamento=d(2026, 3, 1)),
            Spesa(riga=6, categoria="Personale esterno e professionisti", persona="Luca Neri",
                  data_documento=d(2026, 6, 30)),
            Spesa(riga=7, categoria="Personale interno", persona="Sara Blu", data_pagamento=d(2026, 7, 1)),
            Spesa(riga=8, categoria="Beni di consumo e materie prime", persona="Non personale",
                  data_pagamento=d(2026, 1, 5)),
            Spesa(riga=9, categoria="Personale interno", persona="", data_pagamento=d(2026, 1, 5))]
    s1 = campione_personale(cfg, rows, 1, 2026, 1, seme=1)
    assert s1.persone == 2 and s1.dimensione == 1
    assert s1.estratti[0] in {"Anna Verdi", "Luca Neri"}
    everyone = _cfg_text('[campionamento]                        # [C] fino al 10% del personale ogni semestre\n'
                         'quota = "0.10"', '[campionamento]\nquota = "1"')
    full = campione_personale(everyone, rows, 1, 2026, 1, seme=7)
    assert full.dimensione == 2 and sorted(full.estratti) == ["Anna Verdi", "Luca Neri"]
    assert full.righe == {"Anna Verdi": [4, 5], "Luca Neri": [6]}
    s2 = campione_personale(cfg, rows, 1, 2026, 2, seme=1)
    assert (s2.persone, s2.estratti) == (1, ["Sara Blu"])
    empty = campione_personale(cfg, rows, 1, 2027, 1, seme=1)
    assert (empty.persone, empty.dimensione, empty.estratti) == (0, 0, [])
    # both semesters at once (what the check uses): the same draws
    both = campioni_personale(everyone, rows, 1, 2026, seme=3)
    assert [(c.semestre, c.seme, sorted(c.estratti), c.righe) for c in both] == [
        (1, 3, ["Anna Verdi", "Luca Neri"], {"Anna Verdi": [4, 5], "Luca Neri": [6]}),
        (2, 3, ["Sara Blu"], {"Sara Blu": [7]})]
    assert campioni_personale(cfg, rows, 1, 2026, seme=1) == [s1, s2]


def test_tax_code_identifies_the_person(cfg):
    """Two homonyms with different tax codes are two persons; the same tax code under two spellings is
    one; a row without tax code joins the only tax code written for that name."""
    def row(r, persona, cf):
        return Spesa(riga=r, categoria="Personale interno", persona=persona, codice_fiscale=cf,
                     data_pagamento=d(2026, 3, 1))
    rows = [row(4, "Mario Rossi", "RSSMRA80A01D142X"), row(5, "Mario Rossi", "RSSMRA85B02D142Y"),
            row(6, "M. Rossi", "rssmra80a01d142x "), row(7, "Anna Bianchi", "BNCNNA70C41D142Z"),
            row(8, "anna bianchi", None), row(9, "Luca Neri", None)]
    everyone = _cfg_text('quota = "0.10"\nminimo = 1', 'quota = "1"\nminimo = 1')
    c = campione_personale(everyone, rows, 1, 2026, 1, seme=1)
    # persons: RSSMRA80A01D142X (rows 4, 6), RSSMRA85B02D142Y (5), BNCNNA70C41D142Z (7, 8), Luca Neri (9)
    assert c.persone == 4
    assert sorted(sorted(v) for v in c.righe.values()) == [[4, 6], [5], [7, 8], [9]]


def test_programme_sample_spans_the_partner_copies(cfg):
    """The population is the programme's persons across the workbooks (21 persons -> 2 drawn)."""
    a = _staff(11)                                        # Persona 00..10 in the first copy
    b = [Spesa(riga=10 + i, categoria="Personale esterno e professionisti", persona=f"Persona {i:02d}",
               data_pagamento=d(2026, 5, 2)) for i in range(5, 21)]   # 05..20: 05..10 are in both
    s1, s2 = campioni_programma(cfg, [("a.xlsx", a), ("b.xlsx", b)], 2, 2026, seme=99)
    assert (s1.persone, s1.dimensione) == (21, 2) and (s2.persone, s2.dimensione) == (0, 0)
    population = sorted(f"nome:persona {i:02d}" for i in range(21))
    drawn = random.Random(99).sample(population, 2)
    assert s1.estratti == [f"Persona {x[-2:]}" for x in drawn]
    for x in drawn:
        i = int(x[-2:])
        places = ([("a.xlsx", 4 + i)] if i <= 10 else []) + ([("b.xlsx", 10 + i)] if i >= 5 else [])
        assert s1.posizioni[f"Persona {i:02d}"] == places


# --- budget per action x category -----------------------------------------------------------------

def test_current_budget_is_initial_plus_variations():
    v = VoceBudget("1.1", "BENI", comunale_iniziale=D("1000.00"), comunale_luglio=D("250.50"),
                   comunale_novembre=D("-100.25"), cofin_iniziale=D("200.00"), cofin_novembre=D("50"))
    assert v.comunale_attuale == D("1150.25")
    assert v.cofin_attuale == D("250.00")
    assert v.totale_attuale == D("1400.25")


def test_budget_use_flags_overspending(cfg):
    voci = [VoceBudget("1.1", "Beni di consumo e materie prime", comunale_iniziale=D("1000.00"),
                       comunale_luglio=D("100.00"), comunale_novembre=D("-50.00"), cofin_iniziale=D("100.00")),
            VoceBudget("1.2", "SERVIZI", comunale_iniziale=D("5000.00"))]
    spese = [Spesa(riga=4 + i, azione=a, partner="Igea", categoria=c, fornitore="F", numero_documento=str(i),
                   data_documento=d(2026, 2, 1), data_pagamento=d(2026, 2, 2), modalita_pagamento="Bonifico",
                   importo=D(x), doc_giustificativo=True, doc_conservata=True, doc_trasmessa=True,
                   data_trasmissione=d(2026, 3, 1))
             for i, (a, c, x) in enumerate([("1.1", "BENI", "800.00"), ("1.1 ", "beni", "400.00"),
                                             ("1.1", "BENI", "99.00"), ("1.2", "Servizi e prestazioni professionali di enti terzi", "4999.99"),
                                             ("1.3", "SERVIZI", "10.00")])]
    spese[2].modalita_pagamento = "Contanti"  # reported, not admitted
    esiti = valuta_spese(spese, Contesto(cfg, 1, 2026, d(2026, 4, 1)))
    uso = {(u.azione, u.categoria): u for u in uso_budget(cfg, voci, spese, esiti)}
    beni = uso[("1.1", "BENI")]
    assert (beni.budget, beni.rendicontato, beni.ammesso) == (D("1150.00"), D("1299.00"), D("1200.00"))
    assert beni.superato and beni.residuo == D("-50.00")
    serv = uso[("1.2", "SERVIZI")]
    assert not serv.superato and serv.residuo == D("0.01")
    extra = uso[("1.3", "SERVIZI")]  # spending without a budget line
    assert extra.budget == D("0") and extra.superato
    assert list(uso) == [("1.1", "BENI"), ("1.2", "SERVIZI"), ("1.3", "SERVIZI")]


# --- mutants that survived `make mutate` (docs/sviluppo.md): each test names what it kills ----------------

def test_sample_population_skips_rows_goes_on_and_names_a_tax_code_alone(cfg):
    from addin.rules.sampling import codice_fiscale, popolazione

    # kills sampling.x_codice_fiscale 2, 3: upper case, letters and digits only
    assert codice_fiscale(" rss-mra 80a01.h501u ") == "RSSMRA80A01H501U" and codice_fiscale(None) == ""
    everyone = _cfg_text('quota = "0.10"\nminimo = 1', 'quota = "1"\nminimo = 1')
    rows = [Spesa(riga=3, categoria="Beni di consumo e materie prime", persona="Non personale",
                  data_pagamento=d(2026, 1, 5)),                                  # not personnel (kills _persone 28)
            Spesa(riga=4, categoria="Personale interno", persona="Anno Prima", data_pagamento=d(2025, 12, 10)),
            # ^ of 2025 (kills 37); below, a tax code without a name (kills 9, 12) and a row with neither
            Spesa(riga=5, categoria="Personale interno", codice_fiscale="bncnna70c41d142z", data_pagamento=d(2026, 2, 1)),
            Spesa(riga=6, categoria="Personale interno", data_pagamento=d(2026, 2, 1)),
            Spesa(riga=7, categoria="Personale interno", persona="Anna Verdi", data_pagamento=d(2026, 3, 1))]
    c = campione_personale(everyone, rows, 1, 2026, 1, seme=5)
    assert (c.persone, c.dimensione) == (2, 2)
    assert c.righe == {"BNCNNA70C41D142Z": [5], "Anna Verdi": [7]}
    # the population in the order of the identities: "cf:BNC..." before "nome:anna verdi"
    assert popolazione(everyone, rows, 2026, 1) == ["BNCNNA70C41D142Z", "Anna Verdi"]
    # a semester that does not exist: nobody (kills campione_personale 3)
    none = campione_personale(cfg, rows, 1, 2026, 3, seme=1)
    assert (none.persone, none.dimensione, none.estratti) == (0, 0, [])


def test_both_semesters_seeded_from_the_key_of_the_programme(cfg):
    # HMAC-SHA256(b"chiave-di-prova-del-comune-0123456789", "rendiconta-campione|3|2026|S1") starts with
    # 8844fdd05cf0 (by `openssl dgst -sha256 -hmac`) = 149,829,897,444,592 (kills campioni_personale 3, 6, 12,
    # campioni_programma 10, 14: the programme and the key passed on)
    s1, s2 = campioni_personale(cfg, _staff(12), 3, 2026, chiave=b"chiave-di-prova-del-comune-0123456789")
    assert (s1.seme, s1.origine_seme, s2.origine_seme) == (149829897444592, "chiave", "chiave")


def test_seed_descriptions_and_frozen_sample(cfg):
    from addin.rules.sampling import Campione, campione_congelato

    # kills Campione.descrizione_seme 1-15: the four descriptions word for word
    assert [Campione(2026, 1, 1, 0, 0, [], {}, o).descrizione_seme() for o in
            ("indicato", "chiave", "registro", "provvisorio")] == [
        "seme indicato dal Comune", "seme derivato dalla chiave del Comune",
        "campione estratto e registrato dal Comune",
        "campione PROVVISORIO: seme casuale non registrato; indicare il seme (--seme) o la chiave del Comune"]
    # a sample recorded earlier (no test in the fast selection before): the same persons, their rows now,
    # found by the name as displayed or by the normalised name; a person no longer there has no rows
    rows = [Spesa(riga=4, categoria="Personale interno", persona="Anna Verdi", data_pagamento=d(2026, 3, 1)),
            Spesa(riga=5, categoria="Personale interno", persona="Luca Neri", data_pagamento=d(2026, 3, 1)),
            Spesa(riga=9, categoria="Personale interno", persona="anna  verdi", data_pagamento=d(2026, 4, 1))]
    c = campione_congelato(cfg, rows, 2026, 1, 42, ["Anna Verdi", "Luca Neri", "Sara Blu", "Ugo Po"],
                           ["ANNA VERDI", "Luca Neri", "Sara Blu"])
    assert c == Campione(2026, 1, 42, 4, 3, ["ANNA VERDI", "Luca Neri", "Sara Blu"],
                         {"ANNA VERDI": [4, 9], "Luca Neri": [5], "Sara Blu": []}, "registro",
                         {"ANNA VERDI": [("", 4), ("", 9)], "Luca Neri": [("", 5)], "Sara Blu": []})


def test_budget_not_matching_the_configuration_word_for_word(cfg):
    from addin.rules.budget import budget_non_conforme

    # P1 2026 configured: municipal 722,461.31, co-financing 88,436.17; typed 722,000.00 and 88,000.00:
    # differences -461.31 and -436.17 (kills budget_non_conforme 26-29, 34)
    msg = budget_non_conforme(cfg, 1, 2026, [VoceBudget("1.1", "BENI", comunale_iniziale=D("722000.00"),
                                                        cofin_iniziale=D("88000.00"))])
    assert msg == ("BUDGET_NON_CONFORME: il foglio «Budget» del programma 1 per il 2026 riporta comunale iniziale "
                   "722.000,00 € invece di 722.461,31 € (differenza -461,31 €); cofinanziamento iniziale 88.000,00 € "
                   "invece di 88.436,17 € (differenza -436,17 €) rispetto al budget configurato: da riconciliare "
                   "(solo segnalazione).")
