"""The register's commands of `rendiconta` (registered on the main app by addin.cli):

    rendiconta registro init | stato | storia --programma N --anno AAAA | verifica

Kept apart from addin/cli.py so the register's front end has its own room.
"""

from __future__ import annotations

from typing import Optional

import typer
from rich.table import Table

from addin.errors import EXIT_TAMPERED, ErroreRendiconta

RegistroOpt = typer.Option(None, "--registro", help="Indirizzo del registro (URL SQLAlchemy; predefinito: "
                           "RENDICONTA_REGISTRO, altrimenti il file SQLite nella cartella dati dell'utente).")
SenzaRegistroOpt = typer.Option(False, "--senza-registro", help="Controlla solo il file, senza leggere né "
                                "scrivere il registro del Comune (i sigilli si leggono dal foglio _meta).")
OperatoreOpt = typer.Option(None, "--operatore", help="Chi compie l'atto (predefinito: RENDICONTA_OPERATORE o "
                            "l'utente del sistema).")

registro_app = typer.Typer(help="Il registro degli atti del Comune: creazione, stato, storia, verifica.",
                           no_args_is_help=True)


def _cli():
    from addin import cli

    return cli


def apri(url: Optional[str]):
    """Open the register or exit with its Italian message."""
    from addin.registro import Registro

    try:
        return Registro.apri(url)
    except ErroreRendiconta as exc:
        _cli().fail(exc)


def registro_per(url: Optional[str], senza: bool):
    """The register a command uses: None with --senza-registro."""
    if senza:
        if url:
            raise typer.BadParameter("--registro e --senza-registro insieme non hanno senso",
                                     param_hint="--senza-registro")
        return None
    return apri(url)


@registro_app.command("init")
def cmd_init(registro: Optional[str] = RegistroOpt) -> None:
    """Crea il registro (o lo aggiorna all'ultima versione dello schema) e dice dove si trova."""
    from addin.registro import connessione

    reg = apri(registro)
    with reg.engine.connect() as conn:
        rev = connessione.revisione_corrente(conn)
    _cli().console.print(f"Registro pronto: [bold]{_cli().lit(reg.descrizione)}[/] (schema {rev}).")


@registro_app.command("stato")
def cmd_stato(registro: Optional[str] = RegistroOpt) -> None:
    """Atti registrati per programma e anno, e l'impronta del registro da annotare agli atti."""
    from addin.registro.atti import descrivi_tipo

    cli = _cli()
    reg = apri(registro)
    chains = [c for c in reg.catene() if c.lunghezza]
    cli.console.print(f"Registro: {cli.lit(reg.descrizione)}")
    if not chains:
        cli.console.print("Nessun atto registrato.")
        return
    t = Table(header_style="bold")
    t.add_column("Programma", justify="right")
    t.add_column("Anno", justify="right")
    t.add_column("Atti", justify="right")
    t.add_column("Per tipo")
    for c in chains:
        t.add_row(str(c.programma), str(c.anno) if c.anno else "-", str(c.lunghezza),
                  ", ".join(f"{descrivi_tipo(k)} {n}" for k, n in sorted(c.per_tipo.items())))
    cli.console.print(t)
    cli.console.print(f"Impronta del registro (da annotare, per esempio a protocollo): {reg.impronta()}",
                      highlight=False)


@registro_app.command("storia")
def cmd_storia(programma: int = typer.Option(..., "--programma", help="Codice del programma (1-6)."),
               anno: int = typer.Option(..., "--anno", help="Anno di rendicontazione (0: atti senza anno)."),
               registro: Optional[str] = RegistroOpt) -> None:
    """Gli atti di un programma e di un anno, nell'ordine in cui sono stati registrati."""
    from addin.registro.atti import descrivi_tipo, riassunto

    cli = _cli()
    acts = apri(registro).atti(programma, anno)
    if not acts:
        cli.console.print(f"Nessun atto registrato per il programma {programma}, anno {anno}.")
        return
    t = Table(title=f"Atti del programma {programma}, anno {anno}", header_style="bold")
    t.add_column("N.", justify="right")
    t.add_column("Data")
    t.add_column("Atto")
    t.add_column("Autore")
    t.add_column("Contenuto")
    for a in acts:
        ref = f" (rettifica l'atto {a.riferimento})" if a.riferimento else ""
        t.add_row(str(a.posizione), f"{a.data:%d/%m/%Y}", descrivi_tipo(a.tipo), cli.lit(a.autore),
                  cli.lit(riassunto(a.tipo, a.dati) + ref))
    cli.console.print(t)


@registro_app.command("verifica")
def cmd_verifica_registro(registro: Optional[str] = RegistroOpt) -> None:
    """Prova la catena degli atti: segnala ogni atto modificato o cancellato fuori dall'applicazione."""
    cli = _cli()
    reg = apri(registro)
    found = reg.verifica()
    n = sum(c.lunghezza for c in reg.catene())
    if not found:
        cli.console.print(f"Registro integro: {n} atti, ogni catena verificata.\nImpronta del registro: "
                          f"{reg.impronta()}", highlight=False)
        return
    cli.err_console.print(f"[bold red]Registro alterato[/]: {len(found)} anomalie.", highlight=False)
    for a in found:
        cli.err_console.print(f"[bold red]{a.codice}[/]: {cli.lit(a.messaggio)}", highlight=False)
    raise typer.Exit(EXIT_TAMPERED)



# --- the Comune's acts -------------------------------------------------------------------------------------

campione_app = typer.Typer(help="Il campione di controllo del personale, estratto una volta dal Comune.",
                           no_args_is_help=True)
decisioni_app = typer.Typer(help="Decisioni del Comune sulle spese.", no_args_is_help=True)
ConfigOpt = typer.Option(None, "--config", help="File di configurazione TOML (predefinita: Crema 2026-2028).")
ProgrammaOpt = typer.Option(..., "--programma", help="Codice del programma (1-6).")
AnnoOpt = typer.Option(..., "--anno", help="Anno di rendicontazione.")


def _data_opt(value: Optional[str], name: str):
    if value is None:
        return None
    try:
        return _cli().parse_data(value)
    except typer.BadParameter:
        raise typer.BadParameter(f"«{value}» non è una data nel formato GG/MM/AAAA", param_hint=name) from None


def _decimale(value: Optional[str], name: str):
    from decimal import Decimal, InvalidOperation

    if value is None:
        return None
    try:
        return Decimal(value.replace(".", "").replace(",", ".") if "," in value else value)
    except InvalidOperation:
        raise typer.BadParameter(f"«{value}» non è un importo", param_hint=name) from None


def _atto(a) -> None:
    from addin.registro.atti import descrivi_tipo, riassunto

    cli = _cli()
    cli.console.print(f"Registrato: atto {a.posizione} ({descrivi_tipo(a.tipo)}) del programma {a.programma}"
                      + (f", anno {a.anno}" if a.anno else "") + f", {a.data:%d/%m/%Y}, {cli.lit(a.autore)}: "
                      f"{cli.lit(riassunto(a.tipo, a.dati))}.", highlight=False)


def _esegui(fn):
    try:
        return fn()
    except ErroreRendiconta as exc:
        _cli().fail(exc)


@campione_app.command("estrai")
def cmd_campione_estrai(file: str = typer.Argument(..., help="Cartella di lavoro del programma (.xlsx)."),
                        semestre: int = typer.Option(..., "--semestre", help="Semestre (1 o 2)."),
                        motivo: Optional[str] = typer.Option(None, "--motivo", help="Motivazione di una nuova "
                                                             "estrazione (il campione esiste già)."),
                        registro: Optional[str] = RegistroOpt, operatore: Optional[str] = OperatoreOpt,
                        config: Optional[str] = ConfigOpt) -> None:
    """Estrae il campione del semestre con un seme casuale crittografico e lo registra: le verifiche
    successive mostrano sempre questo campione."""
    from addin.casi.campione import estrai_campione

    cfg = _cli().load(config)
    reg = apri(registro)
    _atto(_esegui(lambda: estrai_campione(reg, file, cfg, semestre, motivo=motivo, operatore=operatore)))


def cmd_decidi(file: Optional[str] = typer.Argument(None, help="Cartella di lavoro del programma (per --riga)."),
               riga: Optional[int] = typer.Option(None, "--riga", help="Riga della spesa nel foglio Spese."),
               esito: str = typer.Option(..., "--esito", help="NON_AMMESSA, RICHIESTA_INTEGRAZIONE, ACCOLTA o REVOCATA."),
               motivazione: str = typer.Option(..., "--motivazione", help="Motivazione (resta agli atti)."),
               importo: Optional[str] = typer.Option(None, "--importo", help="Importo non ammesso (NON_AMMESSA)."),
               documenti: Optional[str] = typer.Option(None, "--documenti", help="Documenti richiesti (RICHIESTA_INTEGRAZIONE)."),
               scadenza: Optional[str] = typer.Option(None, "--scadenza", help="Scadenza dell'integrazione GG/MM/AAAA."),
               revoca: Optional[int] = typer.Option(None, "--revoca", help="Numero dell'atto di decisione da revocare (REVOCATA)."),
               programma: Optional[int] = typer.Option(None, "--programma", help="Programma (per --revoca senza file)."),
               anno: Optional[int] = typer.Option(None, "--anno", help="Anno (per --revoca senza file)."),
               data: Optional[str] = typer.Option(None, "--data", help="Data della decisione GG/MM/AAAA (predefinita: oggi)."),
               registro: Optional[str] = RegistroOpt, operatore: Optional[str] = OperatoreOpt,
               config: Optional[str] = ConfigOpt) -> None:
    """Registra una decisione del Comune su una spesa (o ne revoca una)."""
    from addin.casi.decisioni import decidi, riga_del_file

    reg = apri(registro)
    row = None
    if file is not None and riga is not None:
        programma, anno, row = _esegui(lambda: riga_del_file(file, _cli().load(config), riga, reg))
    elif esito.strip().upper() != "REVOCATA":
        raise typer.BadParameter("indicare il file e la riga della spesa (FILE --riga N)", param_hint="--riga")
    if programma is None or anno is None:
        raise typer.BadParameter("indicare il file oppure --programma e --anno", param_hint="--programma")
    _atto(_esegui(lambda: decidi(reg, programma, anno, row, esito, motivazione, importo=_decimale(importo, "--importo"),
                                 documenti=documenti, scadenza=_data_opt(scadenza, "--scadenza"), revoca=revoca,
                                 data=_data_opt(data, "--data"), operatore=operatore)))


@decisioni_app.command("importa")
def cmd_decisioni_importa(report: str = typer.Argument(..., help="Report di Verifica compilato (.xlsx)."),
                          scadenza: Optional[str] = typer.Option(None, "--scadenza", help="Scadenza delle richieste "
                                                                 "di integrazione GG/MM/AAAA."),
                          registro: Optional[str] = RegistroOpt, operatore: Optional[str] = OperatoreOpt) -> None:
    """Registra le decisioni scritte dal controllore nel report (colonne Tipologia errore, Commento del
    controllore, Importo decurtato del foglio Esito)."""
    from addin.casi.decisioni import importa_decisioni

    reg = apri(registro)
    res = _esegui(lambda: importa_decisioni(reg, report, scadenza=_data_opt(scadenza, "--scadenza"),
                                            operatore=operatore))
    for a in res.registrate:
        _atto(a)
    n, k = len(res.registrate), res.invariate
    _cli().console.print(f"Programma {res.programma}, anno {res.anno}: "
                         + ("1 decisione registrata" if n == 1 else f"{n} decisioni registrate") + ", "
                         + ("1 già presente." if k == 1 else f"{k} già presenti."))


def cmd_avviso(programma: int = ProgrammaOpt, anno: int = AnnoOpt,
               data: Optional[str] = typer.Option(None, "--data", help="Data dell'avviso all'ATS GG/MM/AAAA (predefinita: oggi)."),
               registro: Optional[str] = RegistroOpt, operatore: Optional[str] = OperatoreOpt,
               config: Optional[str] = ConfigOpt) -> None:
    """Registra l'avviso all'ATS delle spese non ammesse: fissa il termine per le osservazioni."""
    import datetime as dt

    from addin.casi.avviso import registra_avviso

    cfg = _cli().load(config)
    reg = apri(registro)
    when = _data_opt(data, "--data") or dt.date.today()
    _atto(_esegui(lambda: registra_avviso(reg, cfg, programma, anno, when, operatore=operatore)))


def cmd_osservazioni(programma: int = ProgrammaOpt, anno: int = AnnoOpt,
                     esito: str = typer.Option(..., "--esito", help="ACCOLTE (le decisioni indicate sono revocate) o RESPINTE."),
                     testo: str = typer.Option(..., "--testo", help="Testo o riassunto delle osservazioni."),
                     decisioni: str = typer.Option("", "--decisioni", help="Numeri degli atti di decisione interessati, separati da virgole."),
                     data: Optional[str] = typer.Option(None, "--data", help="Data di ricezione GG/MM/AAAA (predefinita: oggi)."),
                     registro: Optional[str] = RegistroOpt, operatore: Optional[str] = OperatoreOpt) -> None:
    """Registra le osservazioni dell'ATS su un avviso e il loro esito."""
    import datetime as dt

    from addin.casi.avviso import registra_osservazioni

    try:
        nums = [int(x) for x in decisioni.replace(" ", "").split(",") if x]
    except ValueError:
        raise typer.BadParameter(f"«{decisioni}»: numeri di atto separati da virgole", param_hint="--decisioni") from None
    reg = apri(registro)
    when = _data_opt(data, "--data") or dt.date.today()
    _atto(_esegui(lambda: registra_osservazioni(reg, programma, anno, when, testo, esito, nums, operatore=operatore)))


def cmd_ricevi(file: str = typer.Argument(..., help="Cartella di lavoro ricevuta (.xlsx)."),
               data: Optional[str] = typer.Option(None, "--data", help="Data di ricezione GG/MM/AAAA (predefinita: oggi)."),
               protocollo: Optional[str] = typer.Option(None, "--protocollo", help="Numero di protocollo."),
               data_protocollo: Optional[str] = typer.Option(None, "--data-protocollo", help="Data di protocollo GG/MM/AAAA."),
               consegnato_da: Optional[str] = typer.Option(None, "--consegnato-da", help="Chi ha consegnato il file."),
               registro: Optional[str] = RegistroOpt, operatore: Optional[str] = OperatoreOpt,
               config: Optional[str] = ConfigOpt) -> None:
    """Registra la ricezione di un rendiconto: impronta SHA-256, dimensione, data, protocollo."""
    from addin.casi.ricevi import ricevi

    cfg = _cli().load(config)
    reg = apri(registro)
    _atto(_esegui(lambda: ricevi(reg, file, cfg, data_ricezione=_data_opt(data, "--data"), protocollo=protocollo,
                                 data_protocollo=_data_opt(data_protocollo, "--data-protocollo"),
                                 consegnato_da=consegnato_da, operatore=operatore)))


def cmd_referenti(programma: int = ProgrammaOpt,
                  referente: Optional[list[str]] = typer.Option(None, "--referente", help="Nome di un referente "
                                                                "(ripetere per più nomi): sostituisce l'elenco."),
                  motivo: Optional[str] = typer.Option(None, "--motivo", help="Motivo della nuova assegnazione."),
                  registro: Optional[str] = RegistroOpt, operatore: Optional[str] = OperatoreOpt,
                  config: Optional[str] = ConfigOpt) -> None:
    """Mostra (o assegna, con --referente) i funzionari del Comune referenti di un programma."""
    from addin.casi.referenti import assegna_referenti, referenti

    reg = apri(registro)
    if referente:
        cfg = _cli().load(config)
        _atto(_esegui(lambda: assegna_referenti(reg, cfg, programma, referente, motivo=motivo, operatore=operatore)))
        return
    names = referenti(reg, programma)
    _cli().console.print(f"Referenti del programma {programma}: "
                         + (_cli().lit(", ".join(names)) if names else "nessuno registrato."), highlight=False)


def aggiungi_comandi(app: typer.Typer) -> None:
    """Register the register's commands on the main `rendiconta` app."""
    app.add_typer(registro_app, name="registro")
    app.add_typer(campione_app, name="campione")
    app.add_typer(decisioni_app, name="decisioni")
    app.command("decidi")(cmd_decidi)
    app.command("avviso")(cmd_avviso)
    app.command("osservazioni")(cmd_osservazioni)
    app.command("ricevi")(cmd_ricevi)
    app.command("referenti")(cmd_referenti)
