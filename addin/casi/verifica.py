"""Use case: the Comune's full check (Verifica) of one programme workbook at a reference date.

`esegui_verifica` is pure (no file I/O): it applies every rule to an already read workbook.
`verifica_file` reads the file, checks it and writes the report next to it (never touching the input).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cached_property
from pathlib import Path

from addin.casi.atti_registro import AttiProgramma, chiave_decisione, controlla_data_decisiva
from addin.config.models import Config
from addin.registro.atti import ACCOLTA, NON_AMMESSA, RICHIESTA_INTEGRAZIONE, VERIFICA
from addin.rules.budget import UsoBudget, budget_non_conforme, uso_budget
from addin.rules.cofinancing import (EsitoVoce, TariffaVolontari, TotaliCofinanziamento, VerificaQuota,
                                     avviso_monetario, con_monetario_realizzato, tariffa_volontari,
                                     tipo_cofinanziamento, totali_cofinanziamento, valore_voce, valuta_voci,
                                     verifica_realizzato)
from addin.rules.eligibility import Contesto, chiave_documento, totali, valuta_spese
from addin.rules.lookup import lookup_for
from addin.rules.models import Esito, EsitoRiga, Motivo, Spesa, TipoCofinanziamento
from addin.rules.reductions import Decurtazione, decurtazioni_per_motivo
from addin.rules.money import ZERO, fmt_eur, money, money_str
from addin.rules.sampling import Campione, campione_congelato, campioni_personale
from addin.rules.tranches import Liquidazione, RataPiano, liquidazione, piano_tranche
from addin.rules.payments import Pagamento, SituazionePagamenti, situazione_pagamenti
from addin.rules.variations import (VariazioneBudget, VoceApprovata, budget_approvato, budget_programma_approvato,
                                    differenze_proposte)
from addin.rules.windows import FinestraAnno, anno_chiuso, avviso_anno, finestre_anno
from addin.runtime import gc_paused
from addin.workbook.reader import CartellaRendiconto


@dataclass
class StatoSigilli:
    stato: str                      # "verificati" | "non_verificabili" | "assenti" | "non_disponibile"
    dettagli: list[str] = field(default_factory=list)
    cofinanziamento: dict[int, list[Motivo]] = field(default_factory=dict)  # sealed co-financing rows changed
    # sealed Spese rows changed, by where they are now -> (sealed canonical text, seal format version)
    modificate: dict[int, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Ricezione:
    """The Comune register's record of the file's reception, shown on the verbale when present.
    HOOK for the register (issue #12): whoever records the reception fills `RisultatoVerifica.ricezione`."""

    protocollo: str                 # protocol number of the reception
    data: dt.date | dt.datetime     # when the file was received
    sha256: str                     # hash of the bytes received (compared with the checked file's)
    mittente: str | None = None     # who submitted it


@dataclass
class RisultatoVerifica:
    cartella: CartellaRendiconto
    data_riferimento: dt.date
    esiti: list[EsitoRiga]
    totali: dict[str, Decimal]
    tariffa: TariffaVolontari
    cofin_totali: TotaliCofinanziamento
    cofin_quota: VerificaQuota
    cofin_valori: dict[int, Decimal]            # co-financing row -> recognised value
    liquidazione: Liquidazione
    piano: list[RataPiano]
    finestre: list[FinestraAnno]
    scadenza_osservazioni: dt.date
    sigilli: StatoSigilli
    config: Config = field(repr=False, compare=False)
    avvisi: list[str] = field(default_factory=list)
    seme: int | None = None                     # sample seed given by the officer
    chiave: bytes | None = field(default=None, repr=False, compare=False)  # the Comune's key (sample seed)
    sha256: str | None = None                   # hash of the checked file's bytes (verifica_file sets it)
    # the add-in's check (xlbridge.verifica) has no file bytes: the hash of the sheet values Excel sent
    sha256_dati: str | None = None
    ricezione: Ricezione | None = None          # the register's reception of the file, when recorded
    registro: AttiProgramma | None = None       # the Comune's acts (None: file-only check)
    # the approved budget per action × category (register's variations); None: register not consulted,
    # the workbook's Budget sheet as typed is used
    budget_approvato: list[VoceApprovata] | None = None
    pagamenti: SituazionePagamenti | None = None    # payments made (register); None: not consulted
    cofin_esiti: list[EsitoVoce] = field(default_factory=list)   # outcome of each co-financing row

    # computed on first use: the report and the add-in show them, the consolidation does not need them
    @cached_property
    def campioni(self) -> list[Campione]:
        """The personnel audit samples of the two semesters: the draw frozen in the register when the
        Comune made one (`rendiconta campione estrai`), else the reproducible draw of the seed."""
        out = campioni_personale(self.config, self.cartella.spese, self.cartella.programma, self.cartella.anno,
                                 self.seme, self.chiave)
        frozen = self.registro.campioni if self.registro is not None else {}
        for i, c in enumerate(out):
            a = frozen.get(c.semestre)
            if a is not None:
                d = a.dati
                out[i] = campione_congelato(self.config, self.cartella.spese, self.anno, c.semestre, int(d["seme"]),
                                            d["popolazione"], d["estratti"])
        return out

    @property
    def scadenza_provvisoria(self) -> bool:
        """True when no notice to the ATS is recorded: the deadline is computed from the reference date."""
        return self.registro is None or self.registro.avviso is None

    @cached_property
    def uso_budget(self) -> list[UsoBudget]:
        """Admitted spending per action × category against the current budget: the approved one when the
        register was consulted, else the workbook's."""
        voci = (self.cartella.budget if self.budget_approvato is None
                else [v.come_voce_budget() for v in self.budget_approvato])
        return uso_budget(self.config, voci, self.cartella.spese, self.esiti)

    @property
    def programma(self) -> int:
        return self.cartella.programma

    @property
    def anno(self) -> int:
        return self.cartella.anno

    @property
    def spese(self) -> list[Spesa]:
        return self.cartella.spese

    def righe_campione(self) -> dict[int, str]:
        """Row number -> 'S1'/'S2' for the rows of the sampled persons."""
        out: dict[int, str] = {}
        for c in self.campioni:
            for rows in c.righe.values():
                for r in rows:
                    out[r] = f"S{c.semestre}"
        return out

    def conteggi(self) -> Counter:
        return Counter(e.esito for e in self.esiti)

    def decurtazioni(self) -> list[Decurtazione]:
        """Amount not admitted by decisive reason (addin.rules.reductions: one definition for the CLI,
        the report and the verbale), largest first; categories by their configured names."""
        return decurtazioni_per_motivo(self.spese, self.esiti, self.nome_categoria)

    def nome_categoria(self, s: Spesa) -> str:
        """The category as the configuration names it (the partner may have typed a code or odd case)."""
        if not s.categoria:
            return "(mancante)"
        c = lookup_for(self.config).categoria(s.categoria)
        return c.nome if c is not None else s.categoria

    def respinte(self) -> list[tuple[Spesa, EsitoRiga]]:
        """Rows with an amount not admitted for a definitive reason (the ATS may object)."""
        return [(s, e) for s, e in zip(self.spese, self.esiti)
                if e.esito in (Esito.NON_AMMESSA, Esito.ESCLUSA)
                or (e.esito is Esito.AMMESSA and e.importo_ammesso < e.importo)]


def _sigilli(cartella: CartellaRendiconto, config: Config, chiave: bytes | None,
             data_riferimento: dt.date, atti: AttiProgramma | None) -> tuple[dict[int, list[Motivo]], StatoSigilli]:
    from addin.workbook.seals import leggi_sigilli, verifica_sigilli

    rs = verifica_sigilli(cartella, config, chiave, data_riferimento,
                          sigilli=atti.sigilli if atti is not None else None)
    if atti is not None:
        # seals in `_meta` that the register does not know (forged, or made without the register)
        in_file = leggi_sigilli(cartella.meta, atti.sigilli)
        unknown = [s.etichetta for a, s in in_file.items()
                   if a not in atti.sigilli or (s.intestazione, s.hmac, s.righe, s.problemi)
                   != (atti.sigilli[a].intestazione, atti.sigilli[a].hmac, atti.sigilli[a].righe, [])]
        if unknown:
            rs.dettagli.append(f"Il foglio «_meta» contiene sigilli che non corrispondono al registro del Comune "
                               f"({', '.join(unknown)}): non sono considerati; valgono i sigilli del registro.")
    st = StatoSigilli(rs.stato, list(rs.dettagli))
    st.cofinanziamento = {r: list(m) for r, m in (getattr(rs, "motivi_cofinanziamento", None) or {}).items()}
    st.modificate = dict(rs.modificate)
    return dict(rs.motivi), st


# the document fields of an expense row: a partner asked for documents may complete them on a sealed row
CAMPI_INTEGRABILI = ("doc_giustificativo", "doc_conservata", "doc_trasmessa", "data_trasmissione")


def _integrazioni_ammesse(cartella: CartellaRendiconto, atti: AttiProgramma, modificate: dict[int, tuple[str, str]],
                          motivi: dict[int, list[Motivo]]) -> None:
    """A sealed row changed only in its document fields while the Comune asked for documents (a
    standing RICHIESTA_INTEGRAZIONE, or ACCOLTA after it) is no tamper alarm: the seal's financial
    fields are compared, the document fields may be completed. `modificate`: the changed rows, by where
    they are now, with the sealed entry they were paired with (a row may have moved since the seal)."""
    import json

    from addin.workbook.seals import forma_canonica

    for s in cartella.spese:
        reasons = motivi.get(s.riga)
        if not reasons or s.riga not in modificate:
            continue
        dec = atti.decisioni.get(chiave_decisione(s.riga, chiave_documento(s.fornitore, s.numero_documento)))
        if dec is None or dec.esito not in (RICHIESTA_INTEGRAZIONE, ACCOLTA):
            continue
        testo, versione = modificate[s.riga]
        try:
            old = json.loads(testo)
        except ValueError:
            continue
        new = json.loads(forma_canonica(s, versione))
        if {k: v for k, v in old.items() if k not in CAMPI_INTEGRABILI} == \
                {k: v for k, v in new.items() if k not in CAMPI_INTEGRABILI}:
            kept = [m for m in reasons if m.codice != "RIGA_SIGILLATA_MODIFICATA"]
            if kept:
                motivi[s.riga] = kept
            else:
                del motivi[s.riga]


def _decisioni(cartella: CartellaRendiconto, atti: AttiProgramma, motivi: dict[int, list[Motivo]],
               avvisi: list[str]) -> tuple[CartellaRendiconto, dict[int, object]]:
    """The register's decisions, never the partner's file: the file's decision columns are cleared (a
    warning when they say something the register does not), NON_AMMESSA decisions become reasons.
    Returns the workbook to check and the decisions applied after the rules, by row: requests for
    documents (_richieste) and NON_AMMESSA for a part of the row (_decurtazioni)."""
    spese, dopo_regole = [], {}
    decisioni = atti.decisioni
    for s in cartella.spese:
        dec = decisioni.get(chiave_decisione(s.riga, chiave_documento(s.fornitore, s.numero_documento))) \
            if decisioni else None   # perf: no document keys to compute when the register has no decisions
        if s.decisione_comune or s.motivazione_comune:
            if dec is None or dec.esito != NON_AMMESSA:
                avvisi.append(f"Foglio «Spese», riga {s.riga}: la decisione scritta nel file («{s.decisione_comune or ''}») "
                              "non risulta nel registro del Comune: non è considerata.")
            s = replace(s, decisione_comune=None, motivazione_comune=None)
        spese.append(s)
        if dec is None:
            continue
        if dec.esito == NON_AMMESSA:
            cut = money(Decimal(dec.importo)) if dec.importo else None
            if cut is not None and s.importo is not None and ZERO < cut < money(s.importo):
                dopo_regole[s.riga] = dec      # a part of the row: cut from its admitted amount
                continue
            motivi.setdefault(s.riga, []).append(Motivo(
                "DECISIONE_COMUNE", f"Non ammessa dal Comune il {dec.data:%d/%m/%Y}: "
                + (dec.motivazione.strip() or "motivazione non indicata") + "."))
        elif dec.esito == RICHIESTA_INTEGRAZIONE:
            dopo_regole[s.riga] = dec
    return replace(cartella, spese=spese), dopo_regole


def avviso_colonna_data(cartella: CartellaRendiconto, atti: AttiProgramma | None) -> str | None:
    """A Cofinanziamento sheet without the column «Data» (a template older than 29/11/2026, or the column
    deleted) while it declares non-monetary or volunteer rows: they are not placed in windows and are
    sealed only at year end; said in the report, more strongly when the register already holds window
    co-financing seals (the column was there when the Comune sealed)."""
    if cartella.cofin_con_data:
        return None
    if not any(tipo_cofinanziamento(v.tipo) in (TipoCofinanziamento.NON_MONETARIO, TipoCofinanziamento.VOLONTARIATO)
               for v in cartella.cofinanziamento):
        return None
    from addin.workbook.seals import numero_cofin_finestra

    sigilli = atti.sigilli if atti is not None else {}
    windows = sorted((n, s.etichetta) for a, s in sigilli.items() if (n := numero_cofin_finestra(a)) is not None)
    if windows:
        return ("Il foglio «Cofinanziamento» non ha più la colonna «Data», presente quando il Comune ha sigillato "
                f"le voci per finestra ({', '.join(e for _, e in windows)}): le voci non monetarie e di volontariato non possono "
                "essere collocate nelle finestre. Ripristinare la colonna (modello del programma) e inviare di nuovo il file.")
    return ("Il foglio «Cofinanziamento» non ha la colonna «Data» (modello precedente al 29/11/2026): le voci non "
            "monetarie e di volontariato non sono collocate nelle finestre e sono sigillate solo dopo l'ultimo "
            "blocco dell'anno. Usare il modello aggiornato.")


def _decurtazioni(esiti: list[EsitoRiga], decisioni: dict) -> None:
    """NON_AMMESSA decisions for a part of a row (the amount not admitted, below the claimed amount): the
    row keeps its outcome and is admitted net of that amount (NON_AMMESSA when nothing is left)."""
    for e in esiti:
        dec = decisioni.get(e.riga)
        if dec is None or dec.esito != NON_AMMESSA or e.importo_ammesso <= 0:
            continue
        cut = money(Decimal(dec.importo))
        left = max(ZERO, e.importo_ammesso - cut)
        e.motivi.append(Motivo("DECISIONE_COMUNE_PARZIALE",
                               f"Non ammessi dal Comune il {dec.data:%d/%m/%Y} {fmt_eur(min(cut, e.importo_ammesso))}: "
                               + (dec.motivazione.strip() or "motivazione non indicata") + "."))
        e.importo_ammesso = left
        if left <= 0:
            e.esito = Esito.NON_AMMESSA


def _richieste(esiti: list[EsitoRiga], decisioni: dict, data_riferimento: dt.date) -> None:
    """Rows with a request for documents: DA_INTEGRARE until its deadline (even in a locked window),
    ESCLUSA after it unless the Comune accepted the integration (a later ACCOLTA decision)."""
    for e in esiti:
        dec = decisioni.get(e.riga)
        if dec is None or dec.esito != RICHIESTA_INTEGRAZIONE:
            continue
        what = f" ({dec.documenti_richiesti})" if dec.documenti_richiesti else ""
        if dec.scadenza is None or data_riferimento <= dec.scadenza:
            until = f" entro il {dec.scadenza:%d/%m/%Y}" if dec.scadenza else ""
            e.esito, e.importo_ammesso = Esito.DA_INTEGRARE, ZERO
            e.motivi.append(Motivo("RICHIESTA_INTEGRAZIONE", f"Il Comune ha chiesto il {dec.data:%d/%m/%Y} di "
                                   f"integrare i documenti{what}{until}."))
        else:
            e.esito, e.importo_ammesso = Esito.ESCLUSA, ZERO
            e.motivi.append(Motivo("RICHIESTA_INTEGRAZIONE", f"Integrazione richiesta il {dec.data:%d/%m/%Y}"
                                   f"{what} non accolta entro il {dec.scadenza:%d/%m/%Y}: esclusa."))


def esegui_verifica(cartella: CartellaRendiconto, config: Config, data_riferimento: dt.date, *,
                    chiave: bytes | None = None, seme: int | None = None,
                    atti: AttiProgramma | None = None,
                    variazioni: Sequence[VariazioneBudget] | None = None,
                    pagamenti: Sequence[Pagamento] | None = None) -> RisultatoVerifica:
    """Apply every rule to a programme workbook at the reference date. Pure: no file I/O.

    `atti`: the Comune's register for this programme and year (seals, decisions, sample, notice); None:
    the file-only check (seals from `_meta`, decisions from the file's columns).
    `variazioni` / `pagamenti`: the register's approved budget variations and payments made (None: the
    register was not consulted). With the variations the contribution, the tranches and the budget
    check use the approved budget, and the variations typed in the Budget sheet are listed as proposals."""
    if atti is not None:
        controlla_data_decisiva(atti, config)
    motivi_extra, sig = _sigilli(cartella, config, chiave, data_riferimento, atti)
    avvisi_registro: list[str] = []
    dopo_regole: dict = {}
    if atti is not None:
        _integrazioni_ammesse(cartella, atti, sig.modificate, motivi_extra)
        cartella, dopo_regole = _decisioni(cartella, atti, motivi_extra, avvisi_registro)
    anno, prog = cartella.anno, config.programma(cartella.programma)
    ctx = Contesto(config, cartella.programma, anno, data_riferimento, motivi_extra)
    esiti = valuta_spese(cartella.spese, ctx)
    if dopo_regole:
        _richieste(esiti, dopo_regole, data_riferimento)
        _decurtazioni(esiti, dopo_regole)
    tot = totali(esiti)

    tariffa = tariffa_volontari(config, anno, cartella.programma)
    # a row counts when nothing stops it: cell problems, seals, and the date of non-monetary and volunteer rows
    esiti_voci = valuta_voci(config, anno, data_riferimento, cartella.cofinanziamento,
                             con_data=cartella.cofin_con_data, motivi_extra=sig.cofinanziamento)
    voci_ok = [v for v, e in zip(cartella.cofinanziamento, esiti_voci, strict=True) if e.conteggiata]
    dichiarato = totali_cofinanziamento(voci_ok, tariffa.valore)
    ok_rows = {v.riga for v in voci_ok}
    valori = {v.riga: (valore_voce(v, tariffa.valore) if v.riga in ok_rows else ZERO) for v in cartella.cofinanziamento}

    # the contribution due, then the monetary co-financing it leaves to the ATS on the admitted expenditure
    b = (prog.budget_anno(anno) if variazioni is None
         else budget_programma_approvato(config, cartella.programma, anno, variazioni, data_riferimento))
    valore_realizzato = tot["ammesso"] + dichiarato.valorizzato
    liq = liquidazione(config, anno, b.comunale, b.comunale + b.cofinanziamento, valore_realizzato, tot["ammesso"])
    cofin_tot = con_monetario_realizzato(dichiarato, tot["ammesso"], liq.contributo_finale)
    quota = verifica_realizzato(config, tot["ammesso"], cofin_tot, liq.contributo_finale)
    piano = piano_tranche(config, anno, b.comunale)
    avvisi = list(cartella.avvisi) + avvisi_registro
    if (fuori := avviso_anno(anno, data_riferimento)) is not None:
        avvisi.insert(0, fuori)
    if (budget := budget_non_conforme(config, cartella.programma, anno, cartella.budget)) is not None:
        avvisi.append(budget)
    if cofin_tot.monetario_incoerente:
        avvisi.append(avviso_monetario(cofin_tot))
    for v in cartella.cofinanziamento:
        for m in v.errori:
            avvisi.append(f"{m.messaggio} Voce di cofinanziamento non conteggiata.")
    for riga, motivi in sorted(sig.cofinanziamento.items()):
        for m in motivi:
            avvisi.append(f"Foglio «Cofinanziamento», riga {riga}: {m.messaggio} Voce non conteggiata.")
    for e in esiti_voci:
        for m in e.motivi:
            if m.codice in ("DATA_FUORI_PERIODO", "COFINANZIAMENTO_SENZA_DATA"):
                avvisi.append(f"Foglio «Cofinanziamento», riga {e.riga} ({e.esito.value}): {m.messaggio}")
    if (senza := avviso_colonna_data(cartella, atti)) is not None:
        avvisi.append(senza)
    approvato = None
    if variazioni is not None:
        approvato = budget_approvato(config, cartella.budget, variazioni, cartella.programma, anno, data_riferimento)
        avvisi += differenze_proposte(config, approvato)
    sit = None
    if pagamenti is not None:
        sit = situazione_pagamenti(config, cartella.programma, anno, b.comunale, pagamenti, data_riferimento,
                                   contributo_dovuto=liq.contributo_finale if anno_chiuso(config, anno, data_riferimento)
                                   else None)
    lk = lookup_for(config)
    for v in voci_ok:
        if tipo_cofinanziamento(v.tipo) is None:
            avvisi.append(f"Foglio «Cofinanziamento», riga {v.riga}: tipo «{v.tipo or ''}» non riconosciuto "
                          "(Monetario, Non monetario, Volontariato): voce non conteggiata.")
        elif v.partner and lk.partner(v.partner) is None:
            avvisi.append(f"Foglio «Cofinanziamento», riga {v.riga}: «{v.partner}» non è un componente dell'ATS.")
    return RisultatoVerifica(
        cartella=cartella, data_riferimento=data_riferimento, esiti=esiti, totali=tot, tariffa=tariffa,
        cofin_totali=cofin_tot, cofin_quota=quota, cofin_valori=valori, liquidazione=liq, piano=piano,
        finestre=finestre_anno(config, anno),
        scadenza_osservazioni=(dt.date.fromisoformat(atti.avviso.dati["scadenza_osservazioni"])
                               if atti is not None and atti.avviso is not None
                               else data_riferimento + dt.timedelta(days=config.regole.giorni_osservazioni)),
        sigilli=sig, avvisi=avvisi, config=config, seme=seme, chiave=chiave, registro=atti, budget_approvato=approvato,
        pagamenti=sit, cofin_esiti=esiti_voci)


def risultato_json(r: RisultatoVerifica) -> dict:
    """The machine-readable result (amounts as Decimal strings, dates ISO)."""
    q = r.cofin_quota
    return {
        "programma": r.programma,
        "anno": r.anno,
        "data_riferimento": r.data_riferimento.isoformat(),
        "righe": [{"riga": e.riga, "esito": e.esito.value, "importo": money_str(e.importo),
                   "importo_ammesso": money_str(e.importo_ammesso),
                   "motivi": [{"codice": m.codice, "messaggio": m.messaggio} for m in e.motivi]}
                  for e in r.esiti],
        "totali": {k: money_str(v) for k, v in r.totali.items()},
        "cofinanziamento": {"totale": money_str(q.cofinanziamento), "quota": str(q.quota.quantize(Decimal("0.0001"))),
                            "minimo": money_str(q.minimo), "rispettato": q.rispettato,
                            "monetario": money_str(r.cofin_totali.monetario),
                            "monetario_dichiarato": money_str(r.cofin_totali.monetario_dichiarato),
                            "monetario_incoerente": r.cofin_totali.monetario_incoerente,
                            "non_monetario": money_str(r.cofin_totali.non_monetario),
                            "volontariato": money_str(r.cofin_totali.volontariato),
                            "tariffa_volontari": money_str(r.tariffa.valore)},
        # each co-financing row: its outcome, the window its date places it in, its recognised value
        "voci_cofinanziamento": [{"riga": e.riga, "esito": e.esito.value, "finestra": e.finestra,
                                  "valore": money_str(r.cofin_valori.get(e.riga, ZERO)),
                                  "motivi": [{"codice": m.codice, "messaggio": m.messaggio} for m in e.motivi]}
                                 for e in r.cofin_esiti],
        "tranche": [{"numero": t.numero, "scadenza": t.scadenza.isoformat(), "importo": money_str(t.importo)}
                    for t in r.piano],
        "saldo": money_str(r.liquidazione.saldo),
        "contributo_finale": money_str(r.liquidazione.contributo_finale),
        "finestre": [{"numero": f.numero, "blocco": f.blocco.isoformat(), "stato": f.stato(r.data_riferimento)}
                     for f in r.finestre],
        "campione": [{"semestre": c.semestre, "seme": c.seme, "origine_seme": c.origine_seme,
                      "provvisorio": c.provvisorio, "persone": c.persone, "dimensione": c.dimensione,
                      "estratti": list(c.estratti), "righe": {k: list(v) for k, v in c.righe.items()}}
                     for c in r.campioni],
        "scadenza_osservazioni": r.scadenza_osservazioni.isoformat(),
        "scadenza_provvisoria": r.scadenza_provvisoria,
        "registro": r.registro.riepilogo() if r.registro is not None else None,
        "sigilli": r.sigilli.stato,
        "avvisi": list(r.avvisi),
        # the register's payments made (null: the register was not consulted)
        "pagamenti": pagamenti_json(r.pagamenti),
    }


def pagamenti_json(s: SituazionePagamenti | None) -> dict | None:
    """Planned, paid and due per tranche, machine-readable (None: the register was not consulted)."""
    if s is None:
        return None
    return {"pagato": money_str(s.pagato), "saldo": None if s.saldo is None else money_str(s.saldo),
            "tranche": [{"numero": t.numero, "scadenza": t.scadenza.isoformat(), "previsto": money_str(t.previsto),
                         "pagato": money_str(t.pagato), "da_pagare": money_str(t.da_pagare),
                         "in_ritardo": t.in_ritardo, "stato": t.stato} for t in s.tranche]}


def impronta(dati: bytes) -> str:
    """SHA-256 (hex) of bytes already read: the same bytes the reader checks and parses."""
    import hashlib

    return hashlib.sha256(dati).hexdigest()


def impronta_file(path: Path) -> str | None:
    """SHA-256 of a file's bytes (hex), None when it cannot be read. For an output just written (the
    report); an input is hashed from the bytes it is read from (reader.leggi_byte, `impronta`)."""
    import hashlib

    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return None
    return h.hexdigest()


def percorso_report(path: str | Path) -> Path:
    p = Path(path)
    return p.with_name(f"{p.stem}_verifica.xlsx")


def percorso_verbale(path: str | Path) -> Path:
    p = Path(path)
    return p.with_name(f"{p.stem}_verbale.pdf")


def dati_verifica(r: RisultatoVerifica, file: str, sha256_file: str | None,
                  sha256_report: str | None) -> dict:
    """The payload of a VERIFICA act: what the Comune found, row by row."""
    return {
        "data_riferimento": r.data_riferimento, "file": file, "sha256_file": sha256_file,
        "sha256_report": sha256_report,
        "totali": {k: money_str(v) for k, v in r.totali.items()},
        "righe": [{"riga": e.riga, "documento": list(e.documento) if e.documento else None,
                   "esito": e.esito.value, "importo": money_str(e.importo),
                   "importo_ammesso": money_str(e.importo_ammesso), "codici": e.codici} for e in r.esiti],
        "sigilli": r.sigilli.stato,
    }


def ricezione_registrata(atti: AttiProgramma, sha256: str | None) -> Ricezione | None:
    """The register's reception of the checked file: the latest RICEZIONE of these very bytes, else the
    latest one (the verbale then shows that the digests differ)."""
    if not atti.ricezioni:
        return None
    a = next((x for x in reversed(atti.ricezioni) if x.dati.get("sha256") == sha256), atti.ricezioni[-1])
    d = a.dati
    when = dt.date.fromisoformat(d["data_ricezione"]) if d.get("data_ricezione") else a.data
    return Ricezione(d.get("protocollo") or "non indicato", when, d.get("sha256", ""), d.get("consegnato_da"))


def verifica_file(path: str | Path, config: Config, data_riferimento: dt.date, out: str | Path | None = None,
                  chiave: bytes | None = None, seme: int | None = None, *, registro=None,
                  operatore: str | None = None, variazioni: Sequence[VariazioneBudget] | None = None,
                  pagamenti: Sequence[Pagamento] | None = None) -> tuple[RisultatoVerifica, Path]:
    """Read, check and write the report (default `<name>_verifica.xlsx` next to the input). With the
    Comune's register (addin.registro.Registro) the check reads its acts (seals, decisions, sample,
    notice, and the approved variations and payments unless given) and is recorded as a VERIFICA act
    (with the SHA-256 of the file and of the report). `variazioni` and `pagamenti` as in `esegui_verifica`."""
    from addin.casi.atti_registro import TIPI_LETTI, leggi_atti
    from addin.errors import ErroreOutput
    from addin.workbook.reader import leggi_byte, leggi_cartella
    from addin.workbook.report import scrivi_report

    src = Path(path)
    with gc_paused():
        dati = leggi_byte(src)              # read once: the hash is of the very bytes checked
        digest = impronta(dati)
        cartella = leggi_cartella(src, config, dati=dati)
        del dati
        atti = None
        if registro is not None:
            from addin.casi.pagamenti import pagamenti_registrati
            from addin.casi.variazioni import variazioni_registrate

            atti = leggi_atti(cartella.programma, cartella.anno,
                              registro.atti(cartella.programma, cartella.anno, tipi=TIPI_LETTI))
            if variazioni is None:
                variazioni = variazioni_registrate(registro, config, [cartella.anno])
            if pagamenti is None:
                pagamenti = pagamenti_registrati(registro, config, [cartella.anno])
        r = esegui_verifica(cartella, config, data_riferimento, chiave=chiave, seme=seme, atti=atti,
                            variazioni=variazioni, pagamenti=pagamenti)
        r.sha256 = digest
        if atti is not None:
            r.ricezione = ricezione_registrata(atti, digest)
        dest = Path(out) if out is not None else percorso_report(src)
        try:
            if dest.resolve() == src.resolve():
                raise ErroreOutput(f"il report non può sovrascrivere il file da verificare «{src.name}».")
        except OSError:
            pass
        scrivi_report(r, dest)
    if registro is not None:
        registro.registra(r.programma, r.anno, VERIFICA,
                          dati_verifica(r, src.name, digest, impronta_file(dest)),
                          data=data_riferimento, autore=operatore)
    return r, dest
