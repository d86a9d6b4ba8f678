"""The ``qualityrules`` command: one module per subcommand, each registering itself with the entry point in :mod:`.main`."""

from .main import main

__all__ = ["main"]
