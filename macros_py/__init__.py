"""Excel entry points of the add-in (xlwings): custom functions and scripts.

Each entry point is a few lines calling `addin.xlbridge`; the logic lives in `addin`.
"""
