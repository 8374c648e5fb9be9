"""Property (issue 13): for random sealed workbooks, a LibreOffice open-and-save, a sort and an inserted
empty row (done by LibreOffice itself) raise no tamper alarm, and any change to a sealed financial field
is still found. Few examples: each one starts a LibreOffice (about 10 s)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from addin.casi.blocca import blocca_file
from addin.workbook import schema
from addin.workbook.filler import fill_workbook
from addin.workbook.reader import leggi_cartella
from addin.workbook.seals import verifica_sigilli
from addin.workbook.template import build_template
from hostile.libreoffice_ops import modifica_con_libreoffice
from tests.libreoffice import richiede_libreoffice
from tests.test_lock import COFIN, KEY, sp

pytestmark = [pytest.mark.libreoffice, richiede_libreoffice]

D = dt.date
LOCK = D(2026, 6, 1)

# amounts as partners' formulas leave them: up to 16 significant digits (x/3, x/7...)
_amount = st.builds(lambda n, d: n / d, st.integers(min_value=1, max_value=10**7), st.sampled_from([1, 3, 7, 100]))
_text = st.text(alphabet="abcdefghij ABC àèé.-/\r\n_x0041", min_size=1, max_size=20).filter(lambda s: s.strip())
_row = st.tuples(st.dates(min_value=D(2026, 1, 1), max_value=D(2026, 4, 30)), _amount, _text)


@settings(max_examples=3, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(rows=st.lists(_row, min_size=2, max_size=5), data=st.data())
def test_libreoffice_edits_raise_no_alarm_and_real_changes_are_found(cfg, tmp_path_factory, rows, data):
    d = tmp_path_factory.mktemp("prop")
    spese = [sp(when, "1", i) for i, (when, _, _) in enumerate(rows, start=1)]
    spese.append(sp(D(2026, 7, 1), "5", 99))                    # a row of the open window
    wb = build_template(cfg, 1, 2026)
    fill_workbook(wb, spese, COFIN, config=cfg)
    ws = wb[schema.SPESE]
    col = {c.value: c.column for c in ws[3]}
    for i, (_, amount, text) in enumerate(rows):
        ws.cell(4 + i, col["Importo rendicontato"]).value = amount
        ws.cell(4 + i, col["Importo documento"]).value = amount
        ws.cell(4 + i, col["Descrizione"]).value = text
    src = d / "P1.xlsx"
    wb.save(src)
    assert blocca_file(src, cfg, LOCK, KEY).righe_spese == len(rows)

    out = modifica_con_libreoffice(src, d / "lo", ["salva", "ordina:11", "inserisci:5"])
    for op, p in out.items():
        r = verifica_sigilli(leggi_cartella(p, cfg), cfg, KEY, LOCK)
        assert r.integri, (op, r.dettagli)
        assert len(r.righe_spese_sigillate) == len(rows), op

    # a real change to a sealed financial field, after LibreOffice's save, is still found
    saved = out["ordina:11"]
    c = leggi_cartella(saved, cfg)
    sealed = sorted(n for n in verifica_sigilli(c, cfg, KEY, LOCK).righe_spese_sigillate)
    target = data.draw(st.sampled_from(sealed), label="row")
    header = data.draw(st.sampled_from(["Importo rendicontato", "Importo documento", "Data pagamento"]),
                       label="field")
    wb2 = load_workbook(saved)
    cell = wb2[schema.SPESE].cell(target, col[header])
    if header == "Data pagamento":
        old = cell.value.date() if isinstance(cell.value, dt.datetime) else cell.value
        cell.value = old + dt.timedelta(days=data.draw(st.sampled_from([-1, 1, 40]), label="days"))
    else:
        cell.value = float(Decimal(repr(cell.value)) + Decimal("0.01"))   # one cent more
    edited = d / "edited.xlsx"
    wb2.save(edited)
    r = verifica_sigilli(leggi_cartella(edited, cfg), cfg, KEY, LOCK)
    assert list(r.motivi) == [target], (header, r.dettagli)
    assert [m.codice for m in r.motivi[target]] == ["RIGA_SIGILLATA_MODIFICATA"]
    assert header in r.motivi[target][0].messaggio
