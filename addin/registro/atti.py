"""The kinds of act the register holds, and the payload (`dati`) each one carries.

An act is a row of the `atti` table: a generic envelope (programme, year, position in the chain, kind,
date, officer, reference to an earlier act, hashes) and a JSON payload whose fields depend on the
kind. Adding a kind of act (for example PAGAMENTO or VARIAZIONE_BUDGET) needs no schema migration:
add its constant and label here, the use case that writes it, and the readers (docs/registro.md).

Payloads (every amount a Decimal string, every date ISO):
- RICEZIONE   file, sha256, dimensione, data_ricezione, protocollo?, data_protocollo?, consegnato_da?
- VERIFICA    data_riferimento, sha256_file, sha256_report?, totali{...}, righe[{riga, documento,
              esito, importo, importo_ammesso, codici}], sigilli (state of the seals); from the add-in
              also sha256_dati (the sheet values Excel sent) and verbale? (the PDF/A kept on the server,
              sha256_report then being its hash)
- SIGILLO     ambito, etichetta, intestazione{...}, righe[{riga, hmac, testo}], hmac, chiave (key
              fingerprint), motivo? (a re-seal: `blocca --risigilla --motivo`, or Risigilla in the
              add-in; riferimento = the seal it replaces)
- CAMPIONE    semestre, seme, popolazione[persons], dimensione, estratti[persons], motivo? (a new draw;
              riferimento = the draw it replaces)
- DECISIONE   esito (NON_AMMESSA | RICHIESTA_INTEGRAZIONE | ACCOLTA | REVOCATA), documento[supplier,
              number], riga, chiave_riga (the row's seal HMAC when sealed), importo?, motivazione,
              documenti_richiesti?, scadenza?; REVOCATA has riferimento = the decision revoked
- AVVISO      data_avviso, giorni_osservazioni, scadenza_osservazioni, decisioni[positions]
- OSSERVAZIONI data_ricezione, testo, esito (ACCOLTE | RESPINTE), decisioni[positions revoked]
- REFERENTI   referenti[{nome, email?}] (anno = 0: the officers assigned to the programme; the latest
              act is the current list)
- PAGAMENTO   tranche, importo, data_pagamento, mandato?; a cancellation has annullato = true, motivo,
              and riferimento = the payment cancelled (addin/casi/pagamenti.py)
- VARIAZIONE_BUDGET data_approvazione, verbale, descrizione?, righe[{azione, categoria, comunale,
              cofinanziamento}] (approved by the Cabina di regia); a cancellation has annullata = true,
              motivo, and riferimento = the variation cancelled (addin/casi/variazioni.py)
"""

from __future__ import annotations

RICEZIONE = "RICEZIONE"
VERIFICA = "VERIFICA"
SIGILLO = "SIGILLO"
CAMPIONE = "CAMPIONE"
DECISIONE = "DECISIONE"
AVVISO = "AVVISO"
OSSERVAZIONI = "OSSERVAZIONI"
REFERENTI = "REFERENTI"
PAGAMENTO = "PAGAMENTO"
VARIAZIONE_BUDGET = "VARIAZIONE_BUDGET"

TIPI: dict[str, str] = {
    RICEZIONE: "ricezione",
    VERIFICA: "verifica",
    SIGILLO: "sigillo",
    CAMPIONE: "campione",
    DECISIONE: "decisione",
    AVVISO: "avviso",
    OSSERVAZIONI: "osservazioni",
    REFERENTI: "referenti",
    PAGAMENTO: "pagamento",
    VARIAZIONE_BUDGET: "variazione di budget",
}

# outcomes of a DECISIONE
NON_AMMESSA = "NON_AMMESSA"
RICHIESTA_INTEGRAZIONE = "RICHIESTA_INTEGRAZIONE"
ACCOLTA = "ACCOLTA"
REVOCATA = "REVOCATA"
ESITI_DECISIONE = (NON_AMMESSA, RICHIESTA_INTEGRAZIONE, ACCOLTA, REVOCATA)

ANNO_PROGRAMMA = 0      # the chain of a programme's acts that belong to no year (REFERENTI)


def descrivi_tipo(tipo: str) -> str:
    return TIPI.get(tipo, tipo.lower())


def _eur(v: object) -> str:
    from decimal import Decimal, InvalidOperation

    from addin.rules.money import fmt_eur

    try:
        return fmt_eur(Decimal(str(v)))
    except (InvalidOperation, ValueError):
        return str(v)


def _data_it(iso: object) -> str:
    s = str(iso or "")
    return f"{s[8:10]}/{s[5:7]}/{s[:4]}" if len(s) >= 10 and s[4] == "-" else s


def _eur(value: object) -> str:
    from addin.rules.money import fmt_eur, to_decimal

    d = to_decimal(value)
    return fmt_eur(d) if d is not None else f"{value} €"


def riassunto(tipo: str, dati: dict) -> str:
    """One Italian line describing an act's payload (registro storia, the report)."""
    d = dati
    if tipo == RICEZIONE:
        prot = f", protocollo {d['protocollo']}" if d.get("protocollo") else ""
        return f"file «{d.get('file', '')}» ricevuto il {_data_it(d.get('data_ricezione'))}{prot}"
    if tipo == VERIFICA:
        t = d.get("totali", {})
        return (f"verifica al {_data_it(d.get('data_riferimento'))}: {len(d.get('righe', []))} righe, ammesso "
                f"{_eur(t.get('ammesso', '?'))} su {_eur(t.get('rendicontato', '?'))}")
    if tipo == SIGILLO:
        what = f"sigillo {d.get('etichetta') or d.get('ambito')}: {len(d.get('righe', []))} righe"
        return what + (f" (nuovo sigillo: {d['motivo']})" if d.get("motivo") else "")
    if tipo == CAMPIONE:
        what = (f"campione semestre {d.get('semestre')}: {', '.join(d.get('estratti', [])) or 'nessuno'} "
                f"({d.get('dimensione')} su {len(d.get('popolazione', []))})")
        return what + (f" (nuova estrazione: {d['motivo']})" if d.get("motivo") else "")
    if tipo == DECISIONE:
        shown = [d.get("fornitore"), d.get("numero_documento")]
        doc = " n. ".join(str(x) for x in (shown if any(shown) else d.get("documento") or []) if x)
        what = f"{d.get('esito', '')} riga {d.get('riga', '?')}" + (f" ({doc})" if doc else "")
        if d.get("importo"):
            what += f", {_eur(d['importo'])}"
        if d.get("scadenza"):
            what += f", integrazione entro il {_data_it(d['scadenza'])}"
        return what + (f": {d['motivazione']}" if d.get("motivazione") else "")
    if tipo == AVVISO:
        return (f"avviso del {_data_it(d.get('data_avviso'))}: osservazioni entro il "
                f"{_data_it(d.get('scadenza_osservazioni'))}")
    if tipo == OSSERVAZIONI:
        return f"osservazioni del {_data_it(d.get('data_ricezione'))}: {d.get('esito', '').lower()}"
    if tipo == REFERENTI:
        return "referenti: " + ", ".join(r.get("nome", "") for r in d.get("referenti", []))
    if tipo == PAGAMENTO:
        if d.get("annullato"):
            return f"pagamento annullato: {d.get('motivo', '')}"
        mandato = f", mandato {d['mandato']}" if d.get("mandato") else ""
        return (f"pagamento tranche {d.get('tranche')}: {_eur(d.get('importo'))} il "
                f"{_data_it(d.get('data_pagamento'))}{mandato}")
    if tipo == VARIAZIONE_BUDGET:
        if d.get("annullata"):
            return f"variazione di budget annullata: {d.get('motivo', '')}"
        return (f"variazione di budget approvata il {_data_it(d.get('data_approvazione'))} ({d.get('verbale', '')}): "
                f"{len(d.get('righe', []))} righe")
    return ", ".join(f"{k}={v}" for k, v in sorted(d.items()))[:120]
