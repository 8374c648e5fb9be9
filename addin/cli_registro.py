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


def aggiungi_comandi(app: typer.Typer) -> None:
    """Register the register's commands on the main `rendiconta` app."""
    app.add_typer(registro_app, name="registro")
