"""weave command-line interface: the only layer that prints."""

from weave.cli.main import main

__all__ = ["main"]
