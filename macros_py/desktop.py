"""Desktop Excel with a local Python (classic xlwings): buttons call these through RunPython,

    RunPython "import macros_py.desktop as m; m.valida()"

each one the same use case as the task-pane script, on the calling workbook.
"""

from __future__ import annotations

import xlwings as xw

from addin import xlbridge


def valida():
    xlbridge.valida(xw.Book.caller())


def verifica():
    xlbridge.verifica(xw.Book.caller())


def blocca():
    xlbridge.blocca(xw.Book.caller())


def consolida():
    """Consolidates the programme workbooks found in the folder of the calling workbook."""
    xlbridge.consolida_cartella(xw.Book.caller())
