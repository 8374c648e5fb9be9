"""Italian for the messages that click and typer print themselves (usage, errors, help panels).

click and typer look their user-facing strings up through gettext (`_` and `ngettext`, bound in each
module); we rebind those names to an Italian table, keeping the original text for anything unknown.
"""

from __future__ import annotations

import importlib
import re

IT: dict[str, str] = {
    "Usage:": "Uso:",
    "Error: {message}": "Errore: {message}",
    "Try '{command} {option}' for help.": "Per l'aiuto: '{command} {option}'.",
    "Invalid value for {param_hint}: {message}": "Valore non valido per {param_hint}: {message}",
    "Invalid value: {message}": "Valore non valido: {message}",
    "Missing {param_type}": "Manca {param_type}",
    "Missing argument": "Manca l'argomento",
    "Missing option": "Manca l'opzione",
    "Missing parameter": "Manca il parametro",
    "Missing parameter: {param_name}": "Manca il parametro: {param_name}",
    "Missing command.": "Manca il comando.",
    "argument": "l'argomento",
    "option": "l'opzione",
    "parameter": "il parametro",
    "No such command {name!r}.": "Comando {name!r} inesistente.",
    "No such option: {name}": "Opzione inesistente: {name}",
    "No such option {name!r}.": "Opzione {name!r} inesistente.",
    "Did you mean {possibility}?": "Forse intendevi {possibility}?",
    "(Did you mean one of: {possibilities}?)": "(Forse intendevi una di: {possibilities}?)",
    "Option {name!r} does not take a value.": "L'opzione {name!r} non accetta un valore.",
    "Option {name!r} requires an argument.": "L'opzione {name!r} richiede un valore.",
    "Option {name!r} requires {nargs} arguments.": "L'opzione {name!r} richiede {nargs} valori.",
    "Got unexpected extra argument ({args})": "Argomento in più non previsto ({args})",
    "Got unexpected extra arguments ({args})": "Argomenti in più non previsti ({args})",
    "Show this message and exit.": "Mostra questo aiuto ed esce.",
    "Show the version and exit.": "Mostra la versione ed esce.",
    "Aborted!": "Interrotto.",
    "Aborted.": "Interrotto.",
    "{value!r} is not a valid {number_type}.": "{value!r} non è un {number_type} valido.",
    "integer": "numero intero",
    "float": "numero",
    "{value} is not in the range {range}.": "{value} non è nell'intervallo {range}.",
    "{value!r} is not {choice}.": "{value!r} non è {choice}.",
    "{value!r} is not one of {choices}.": "{value!r} non è tra {choices}.",
    "{name} {filename!r} does not exist.": "{name} {filename!r} non esiste.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} è una cartella.",
    "{name} {filename!r} is a file.": "{name} {filename!r} è un file.",
    "{name} {filename!r} is not readable.": "{name} {filename!r} non è leggibile.",
    "{name} {filename!r} is not writable.": "{name} {filename!r} non è scrivibile.",
    "File": "File",
    "Directory": "Cartella",
    "Path": "Percorso",
    "file": "file",
    "directory": "cartella",
    "path": "percorso",
    "Could not open file {filename!r}: {message}": "Impossibile aprire il file {filename!r}: {message}",
    "default: {default}": "predefinito: {default}",
    "required": "obbligatorio",
    "env var: {var}": "variabile d'ambiente: {var}",
    "Arguments": "Argomenti",
    "Options": "Opzioni",
    "Commands": "Comandi",
    "Repeat for confirmation": "Ripetere per conferma",
    "Error: The two entered values do not match.": "Errore: i due valori inseriti non coincidono.",
}

_RICH = {
    "ARGUMENTS_PANEL_TITLE": "Argomenti",
    "OPTIONS_PANEL_TITLE": "Opzioni",
    "COMMANDS_PANEL_TITLE": "Comandi",
    "ERRORS_PANEL_TITLE": "Errore",
    "ABORTED_TEXT": "Interrotto.",
    "RICH_HELP": "Per l'aiuto: [blue]'{command_path} {help_option}'[/].",
    "DEFAULT_STRING": "[predefinito: {}]",
    "ENVVAR_STRING": "[variabile d'ambiente: {}]",
    "REQUIRED_LONG_STRING": "[obbligatorio]",
    "DEPRECATED_STRING": "(deprecato) ",
}

_MODULES = ("click.core", "click.exceptions", "click.formatting", "click.parser", "click.types",
            "click.decorators", "click.termui", "click.utils", "typer.core", "typer.rich_utils")


def traduci(message: str) -> str:
    return IT.get(message, message)


def traduci_n(singular: str, plural: str, n: int) -> str:
    return traduci(singular if n == 1 else plural)


# messages that typer's vendored click builds with f-strings (no gettext): translated by pattern
_PATTERNS: list[tuple[re.Pattern[str], str]] = [(re.compile(p), r) for p, r in [
    (r"^Invalid value for (.+?): ", r"Valore non valido per \1: "),
    (r"^Missing argument (.+?)\.?$", r"Manca l'argomento \1."),
    (r"^Missing option (.+?)\.?$", r"Manca l'opzione \1."),
    (r"^Missing parameter (.+?)\.?$", r"Manca il parametro \1."),
    (r"^No such command (.+?)\.", r"Comando \1 inesistente."),
    (r"^No such option: (.+?)", r"Opzione inesistente: \1"),
    (r"^Got unexpected extra argument\(s\) \((.*)\)", r"Argomenti in più non previsti (\1)"),
    (r"^Option (.+?) requires an argument\.", r"L'opzione \1 richiede un valore."),
    (r"^Option (.+?) does not take a value\.", r"L'opzione \1 non accetta un valore."),
    (r"Did you mean (.+?)\?", r"Forse intendevi \1?"),
    (r"\(Possible options: (.+?)\)", r"(Opzioni possibili: \1)"),
    (r"Input should be a valid integer, unable to parse string as an integer", "deve essere un numero intero"),
    (r"Input should be a valid number, unable to parse string as a number", "deve essere un numero"),
    (r"Input should be a valid integer", "deve essere un numero intero"),
    (r"Input should be a valid number", "deve essere un numero"),
    (r"Input should be a valid boolean", "deve essere sì o no"),
    (r"(?:Path|File|Directory) '(.+?)' does not exist\.", r"'\1' non esiste."),
    (r"(?:Path|File) '(.+?)' is a directory\.", r"'\1' è una cartella."),
    (r"is not one of", "non è tra"),
    (r"is not in the range", "non è nell'intervallo"),
]]


def traduci_errore(message: str) -> str:
    for pattern, repl in _PATTERNS:
        message = pattern.sub(repl, message)
    return message


# types shown in the help next to each parameter (typer writes <int>, <path>, <list[Path]>, <bool>)
_TIPI = {"<int>": "<numero>", "<float>": "<numero>", "<str>": "<testo>", "<path>": "<file>", "<Path>": "<file>",
         "<file>": "<file>", "<directory>": "<cartella>", "<list[Path]>": "<file>...", "<list[str]>": "<testo>...",
         "<datetime>": "<data>"}


def _localizza_tipi(tcore) -> None:
    param = getattr(tcore, "_TyperParameter", None)
    if param is None or not hasattr(param, "display_type"):  # pragma: no cover - another typer layout
        return
    display_type = param.display_type

    def display_type_it(self, ctx):
        if getattr(self, "is_flag", False):
            return None                       # a flag takes no value: no type to show
        label = display_type(self, ctx)
        return _TIPI.get(label, label)

    param.display_type = display_type_it


def _localizza_typer() -> None:
    """typer >= 0.26 vendors click (typer._click) with hard-coded English: patch the few entry points."""
    try:
        import typer.rich_utils as ru
        from typer._click import core as tcore
        from typer._click import formatting as tfmt
    except ImportError:  # pragma: no cover - another typer layout: gettext above still applies
        return
    if getattr(ru, "_rendiconta_it", False):
        return
    ru._rendiconta_it = True
    try:
        from typer import core as typer_core

        _localizza_tipi(typer_core)
    except ImportError:  # pragma: no cover
        pass

    write_usage = tfmt.HelpFormatter.write_usage

    def write_usage_it(self, prog, args="", prefix=None):
        return write_usage(self, prog, args, "Uso: " if prefix is None else prefix)

    tfmt.HelpFormatter.write_usage = write_usage_it

    format_error = ru.rich_format_error

    def format_error_it(exc) -> None:
        text = traduci_errore(exc.format_message())
        exc.format_message = lambda: text
        format_error(exc)

    ru.rich_format_error = format_error_it

    get_help_option = tcore.Command.get_help_option

    def get_help_option_it(self, ctx):
        opt = get_help_option(self, ctx)
        if opt is not None and getattr(opt, "help", None) == "Show this message and exit.":
            opt.help = IT["Show this message and exit."]
        return opt

    tcore.Command.get_help_option = get_help_option_it


def localizza() -> None:
    """Make click and typer speak Italian. Idempotent."""
    _localizza_typer()
    for name in _MODULES:
        try:
            mod = importlib.import_module(name)
        except ImportError:  # pragma: no cover - module layout of another click/typer version
            continue
        if hasattr(mod, "_"):
            mod._ = traduci
        if hasattr(mod, "ngettext"):
            mod.ngettext = traduci_n
    try:
        import typer.rich_utils as ru
    except ImportError:  # pragma: no cover
        return
    for attr, text in _RICH.items():
        if hasattr(ru, attr):
            setattr(ru, attr, text)
