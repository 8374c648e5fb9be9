"""Transitional alias: the use case moved to addin.casi.consolida (remove once no branch imports addin.consolidate)."""

import sys

from addin.casi import consolida as _moved

sys.modules[__name__] = _moved
