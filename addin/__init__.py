"""rendiconta: reporting of the Crema 2026-2028 co-progettazione (Comune di Crema - ATS Impronte Sociali 2.0)."""

__version__ = "0.1.0"
