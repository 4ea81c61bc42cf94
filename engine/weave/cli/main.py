"""The root `weave` command group. Each command group lives in its own module."""

from __future__ import annotations

import importlib

import click

from weave import __version__

# (module, attribute) for every command; imported lazily so `weave --help` stays fast
# and a broken optional group never takes the whole CLI down.
COMMANDS: list[tuple[str, str]] = [
]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="weave")
def cli() -> None:
    """weave: integration-as-code for CRM ecosystems.

    \b
    Typical workflow:
      weave validate specs/          # offline checks, for CI
      weave plan specs/              # which pattern each integration gets, and why
      weave apply specs/             # deploy a new revision
      weave serve                    # run every deployed flow
      weave demo                     # the whole example ecosystem, end to end
    """


def _register() -> None:
    for module_name, attr in COMMANDS:
        module = importlib.import_module(module_name)
        cli.add_command(getattr(module, attr))


_register()


def main() -> None:
    cli()
