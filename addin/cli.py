"""The `rendiconta` command. Output and messages are Italian; see the README for exit codes."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from addin.errors import EXIT_CONFIG, EXIT_INTERNAL, ErroreRendiconta

app = typer.Typer(
    help="rendiconta: rendicontazione della co-progettazione Comune di Crema - ATS Impronte Sociali 2.0.",
    no_args_is_help=True, add_completion=False, rich_markup_mode="rich",
)
console = Console()
err_console = Console(stderr=True)

ConfigOpt = typer.Option(None, "--config", help="File di configurazione TOML (predefinita: Crema 2026-2028).")


def load(config_path: Optional[Path]):
    from addin.config import ConfigError, load_config

    try:
        return load_config(config_path)
    except ConfigError as exc:
        err_console.print(f"[bold red]Errore di configurazione[/]: {exc}")
        raise typer.Exit(EXIT_CONFIG) from None


def parse_data(value: Optional[str]) -> dt.date:
    """GG/MM/AAAA (or AAAA-MM-GG); today when omitted."""
    if not value:
        return dt.date.today()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            pass
    raise typer.BadParameter(f"«{value}» non è una data nel formato GG/MM/AAAA", param_hint="--data")


def fail(exc: ErroreRendiconta) -> None:
    err_console.print(f"[bold red]Errore[/]: {exc}", highlight=False)
    raise typer.Exit(exc.exit_code)


def eur(v) -> str:
    from addin.rules.money import fmt_eur

    return fmt_eur(v)


def print_quadro(config, anno: int) -> None:
    from addin.overview import quadro_annuale
    from addin.rules.money import fmt_pct

    rows = quadro_annuale(config, anno)
    minimum = fmt_pct(config.cofinanziamento.quota_minima)
    t = Table(title=f"Budget {anno}, cofinanziamento e piano delle tranche", header_style="bold")
    for col, just in [("Programma", "left"), ("Finanziamento comunale", "right"), ("Cofinanziamento", "right"),
                      ("Costo totale", "right"), ("Quota cofin.", "right"), (f"≥ {minimum}", "left")]:
        t.add_column(col, justify=just)
    for r in rows[0].tranche:
        t.add_column(f"Tranche {r.numero} ({r.quota * 100:.0f}%)\nentro {r.scadenza:%d/%m/%Y}", justify="right")
    for row in rows:
        if row.quota.rispettato:
            flag = "[green]sì[/]" + (" (vincolante)" if row.vincolante else "")
        else:
            flag = "[bold red]NO[/] " + ("(vincolante)" if row.vincolante else "(indicativo)")
        style = "bold" if row.codice == "ATS" else None
        t.add_row(f"{row.codice} {row.nome}", eur(row.comunale), eur(row.cofinanziamento), eur(row.totale),
                  fmt_pct(row.quota.quota), flag, *[eur(r.importo) for r in row.tranche], style=style,
                  end_section=row is rows[-2])
    console.print(t)
    low = [r.codice for r in rows if not r.quota.rispettato]
    if low:
        console.print(f"[bold red]Attenzione[/]: cofinanziamento sotto il {minimum} per {', '.join(low)}.")


@app.command("budget")
def cmd_budget(anno: int = typer.Option(2026, "--anno", help="Anno di rendicontazione."),
               config: Optional[Path] = ConfigOpt) -> None:
    """Budget, quota di cofinanziamento e piano delle tranche di ogni programma e dell'ATS."""
    print_quadro(load(config), anno)


@app.command("regole")
def cmd_regole() -> None:
    """Elenca i codici dei motivi di non ammissibilità e il loro effetto."""
    from addin.rules.catalogue import CATALOGO

    effects = {"non_ammessa": "NON_AMMESSA", "esclusa": "ESCLUSA",
               "integrabile": "DA_INTEGRARE, poi ESCLUSA dopo il blocco", "riduzione": "ammessa in parte"}
    t = Table(title="Catalogo dei motivi", header_style="bold")
    t.add_column("Codice")
    t.add_column("Effetto")
    t.add_column("Descrizione")
    for v in CATALOGO.values():
        t.add_row(v.codice, effects[v.effetto], v.descrizione)
    console.print(t)


@app.command("demo")
def cmd_demo(anno: int = typer.Option(2026, "--anno", help="Anno della dimostrazione."),
             config: Optional[Path] = ConfigOpt) -> None:
    """Dimostrazione sulla configurazione di Crema."""
    cfg = load(config)
    print_quadro(cfg, anno)


def main() -> None:
    try:
        app()
    except ErroreRendiconta as exc:
        err_console.print(f"[bold red]Errore[/]: {exc}", highlight=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err_console.print("Interrotto.")
        sys.exit(130)
    except Exception as exc:  # a bug: say so in Italian, keep the exit code distinct
        err_console.print(f"[bold red]Errore interno[/]: {type(exc).__name__}: {exc}. "
                          "Segnalalo agli sviluppatori.", highlight=False)
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":
    main()
