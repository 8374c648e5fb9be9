"""The register's hash chain, pure (no database): the hashed texts written out by hand, and the check of a
chain (`verifica_catene`) against every kind of tampering, each anomaly compared whole (code, position,
Italian message). Fast: in the mutmut selection (docs/sviluppo.md)."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from enum import Enum

import pytest

from addin.registro.catena import HASH_INIZIALE, dati_canonici, hash_atto, impronta_teste
from addin.registro.registro import Anomalia, verifica_catene

H0 = "0" * 64
W = "Registro programma 1, anno 2026"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- the hashed texts ------------------------------------------------------------------------------

def test_the_hash_of_an_act_is_the_sha256_of_its_envelope_written_out_by_hand():
    campi = {"programma": 1, "anno": 2026, "posizione": 1, "tipo": "RICEZIONE", "data": "2026-05-02",
             "registrato_il": "2026-05-02T09:00:00+00:00", "autore": "Rossi", "riferimento": None,
             "dati": '{"file":"Città.xlsx"}', "hash_precedente": H0, "hash": "non fa parte dell'impronta"}
    testo = ('["rendiconta-registro/1",1,2026,1,"RICEZIONE","2026-05-02","2026-05-02T09:00:00+00:00","Rossi",'
             'null,"{\\"file\\":\\"Città.xlsx\\"}","' + H0 + '"]')
    assert hash_atto(campi) == _sha(testo)
    assert HASH_INIZIALE == H0


def test_the_digest_of_the_chain_heads_is_the_sha256_of_their_sorted_list():
    teste = [(2, 2026, 3, "ab"), (1, 2027, 1, "ef"), (1, 2026, 5, "cd")]
    assert impronta_teste(teste) == _sha('[[1,2026,5,"cd"],[1,2027,1,"ef"],[2,2026,3,"ab"]]')


class _Esito(Enum):
    NON_AMMESSA = "NON_AMMESSA"


def test_canonical_payload_text():
    dati = {"è": "città", "b": Decimal("1.50"), "a": dt.date(2026, 6, 1), "s": frozenset({"x"}),
            "t": ("y", "z"), "e": _Esito.NON_AMMESSA, "q": dt.datetime(2026, 6, 1, 9, 30), "n": None, "i": 3}
    assert dati_canonici(dati) == ('{"a":"2026-06-01","b":"1.50","e":"NON_AMMESSA","i":3,"n":null,'
                                   '"q":"2026-06-01T09:30:00","s":["x"],"t":["y","z"],"è":"città"}')
    assert dati_canonici({"insieme": {"solo"}}) == '{"insieme":["solo"]}'


def test_floats_and_unknown_values_are_refused_with_their_italian_reason():
    with pytest.raises(TypeError) as exc:
        dati_canonici({"righe": [{"importo": 1.5}]})
    assert str(exc.value) == "il registro non accetta numeri in virgola mobile: usare Decimal"
    with pytest.raises(TypeError) as exc:
        dati_canonici({"x": object()})
    assert str(exc.value) == "valore non serializzabile nel registro: object"


# --- the check of a chain ----------------------------------------------------------------------------

def _atto(pos: int, prev: str, *, p: int = 1, a: int = 2026, tipo: str = "RICEZIONE",
          dati: str = '{"file":"P1.xlsx"}', riferimento: int | None = None) -> dict:
    r = {"programma": p, "anno": a, "posizione": pos, "tipo": tipo, "data": "2026-05-02",
         "registrato_il": f"2026-05-02T09:0{pos % 10}:00+00:00", "autore": "Rossi", "riferimento": riferimento,
         "dati": dati, "hash_precedente": prev}
    r["hash"] = hash_atto(r)
    return r


def _catena(n: int, p: int = 1, a: int = 2026, **per_posizione) -> list[dict]:
    """n acts linked by their hashes; per_posizione: {"a2": {field: value}} fields of act 2 before hashing."""
    out, prev = [], H0
    for pos in range(1, n + 1):
        r = _atto(pos, prev, p=p, a=a, **per_posizione.get(f"a{pos}", {}))
        out.append(r)
        prev = r["hash"]
    return out


def _testa(rows: list[dict]) -> tuple[int, str]:
    return (rows[-1]["posizione"], rows[-1]["hash"])


def test_an_intact_chain_and_its_head_have_no_anomaly():
    rows = _catena(3, a2={"riferimento": 1}, a3={"riferimento": 2})
    assert verifica_catene(rows, {(1, 2026): _testa(rows)}) == []


def test_a_deleted_act_is_missing_and_breaks_the_chain():
    rows = _catena(3)
    kept = [rows[0], rows[2]]
    assert verifica_catene(kept, {(1, 2026): _testa(rows)}) == [
        Anomalia(1, 2026, 3, "ATTO_MANCANTE", f"{W}: mancano gli atti da 2 a 2 (cancellati o spostati)."),
        Anomalia(1, 2026, 3, "CATENA_INTERROTTA", f"{W}: l'atto 3 non segue l'atto che lo precede (un atto "
                                                  "precedente è stato modificato o cancellato)."),
    ]


def test_an_act_changed_in_place_no_longer_matches_its_hash():
    rows = _catena(3)
    rows[1] = {**rows[1], "dati": '{"file":"P9.xlsx"}'}          # changed, its stored hash kept
    assert verifica_catene(rows, {(1, 2026): _testa(rows)}) == [
        Anomalia(1, 2026, 2, "ATTO_ALTERATO", f"{W}: l'atto 2 (ricezione) è stato modificato dopo la registrazione "
                                              "(il suo contenuto non corrisponde più alla sua impronta)."),
    ]


@pytest.mark.parametrize("dati", ['{"file"', '{"file": "P1.xlsx"}', '{"b":1,"a":2}', '{"x":1.5}'])
def test_a_payload_not_in_its_canonical_form_is_reported_even_when_rehashed(dati):
    """Not JSON, spaces, keys out of order, a float: the attacker recomputed every hash."""
    rows = _catena(2, a2={"dati": dati})
    assert verifica_catene(rows, {(1, 2026): _testa(rows)}) == [
        Anomalia(1, 2026, 2, "DATI_NON_VALIDI", f"{W}: i dati dell'atto 2 non sono nella forma registrata."),
    ]


def test_an_unknown_type_is_reported_even_when_rehashed():
    rows = _catena(2, a2={"tipo": "PAGAMENTO_INVENTATO"})
    assert verifica_catene(rows, {(1, 2026): _testa(rows)}) == [
        Anomalia(1, 2026, 2, "TIPO_SCONOSCIUTO", f"{W}: l'atto 2 è di un tipo sconosciuto («PAGAMENTO_INVENTATO»)."),
    ]


@pytest.mark.parametrize("riferimento,valido", [(1, True), (2, True), (0, False), (3, False), (4, False)])
def test_a_reference_must_name_an_earlier_act(riferimento, valido):
    """Act 3 may refer to act 1 or 2 only."""
    rows = _catena(3, a3={"riferimento": riferimento})
    attese = [] if valido else [
        Anomalia(1, 2026, 3, "RIFERIMENTO_NON_VALIDO", f"{W}: l'atto 3 rimanda a un atto inesistente ({riferimento}).")]
    assert verifica_catene(rows, {(1, 2026): _testa(rows)}) == attese


def test_a_deleted_head_and_a_head_that_disagrees():
    rows = _catena(3)
    assert verifica_catene(rows, {}) == [
        Anomalia(1, 2026, None, "TESTA_MANCANTE", f"{W}: manca la testa della catena (3 atti presenti): è stata "
                                                  "cancellata."),
    ]
    diversa = Anomalia(1, 2026, None, "TESTA_DIVERSA", f"{W}: la testa della catena dice 2 atti, il registro ne "
                                                       "contiene 3: gli ultimi atti sono stati cancellati o la "
                                                       "testa è stata modificata.")
    assert verifica_catene(rows, {(1, 2026): (2, rows[1]["hash"])}) == [diversa]      # the last act added by hand
    assert verifica_catene(rows, {(1, 2026): (3, rows[1]["hash"])}) == [              # the head's hash changed
        Anomalia(1, 2026, None, "TESTA_DIVERSA", f"{W}: la testa della catena dice 3 atti, il registro ne "
                                                 "contiene 3: gli ultimi atti sono stati cancellati o la testa "
                                                 "è stata modificata.")]


def test_heads_whose_acts_were_all_deleted():
    rows = _catena(2)
    assert verifica_catene([], {(1, 2026): _testa(rows), (2, 2027): (0, H0), (3, 2027): (0, "ab" * 32)}) == [
        Anomalia(1, 2026, None, "TESTA_DIVERSA", f"{W}: la testa della catena dice 2 atti, il registro ne contiene "
                                                 "0: gli ultimi atti sono stati cancellati o la testa è stata "
                                                 "modificata."),
        # (2, 2027): an empty chain whose head is the initial one: nothing to say
        Anomalia(3, 2027, None, "TESTA_DIVERSA", "Registro programma 3, anno 2027: testa della catena modificata."),
    ]


def test_several_chains_each_checked_and_the_anomalies_in_order():
    """Chain 1/2026 intact; chain 2/2026 with its first act altered and its head deleted; chain 1/2027 with
    its head only. The anomalies come by programme, year, then position (those of the head first)."""
    c1, c2, c3 = _catena(2), _catena(2, p=2), _catena(1, a=2027)
    c2[0] = {**c2[0], "autore": "Intruso"}
    rows = sorted(c1 + c2 + c3, key=lambda r: (r["programma"], r["anno"], r["posizione"]))   # as the database
    found = verifica_catene(rows, {(1, 2026): _testa(c1), (1, 2027): _testa(c3), (4, 2028): (5, "cd" * 32),
                                   (5, 2028): (1, "ef" * 32)})
    assert found == [
        Anomalia(2, 2026, None, "TESTA_MANCANTE", "Registro programma 2, anno 2026: manca la testa della catena "
                                                  "(2 atti presenti): è stata cancellata."),
        Anomalia(2, 2026, 1, "ATTO_ALTERATO", "Registro programma 2, anno 2026: l'atto 1 (ricezione) è stato "
                                              "modificato dopo la registrazione (il suo contenuto non corrisponde "
                                              "più alla sua impronta)."),
        Anomalia(4, 2028, None, "TESTA_DIVERSA", "Registro programma 4, anno 2028: la testa della catena dice 5 "
                                                 "atti, il registro ne contiene 0: gli ultimi atti sono stati "
                                                 "cancellati o la testa è stata modificata."),
        Anomalia(5, 2028, None, "TESTA_DIVERSA", "Registro programma 5, anno 2028: la testa della catena dice 1 "
                                                 "atti, il registro ne contiene 0: gli ultimi atti sono stati "
                                                 "cancellati o la testa è stata modificata."),
    ]
