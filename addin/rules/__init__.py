"""Pure domain rules of the reporting: no I/O, no openpyxl, no xlwings. Money is Decimal."""
