"""The root `weave` command group. Each command group lives in its own module, imported on first use."""

from __future__ import annotations

import importlib
from typing import Any

import click

from weave import __version__

# (module, command name): the single table of commands. Imported lazily so `weave validate` never pays
# for the runtime's imports, and what exists never depends on what happened to be imported.
COMMANDS: list[tuple[str, str]] = [
    ("weave.cli.test_cmd", "test"),
    ("weave.cli.validate", "validate"),
    ("weave.cli.schema_cmd", "schema"),
    ("weave.cli.init_cmd", "init"),
    ("weave.cli.apply_cmd", "apply"),
    ("weave.cli.apply_cmd", "revisions"),
    ("weave.cli.apply_cmd", "rollback"),
    ("weave.cli.apply_cmd", "force-unlock"),
    ("weave.cli.serve_cmd", "serve"),
    ("weave.cli.dlq_cmd", "dlq"),
    ("weave.cli.status_cmd", "status"),
    ("weave.cli.demo_cmd", "demo"),
    ("weave.cli.run_cmd", "run"),
    ("weave.cli.run_cmd", "runs"),
    ("weave.cli.plan_cmd", "plan"),
    ("weave.cli.explain_cmd", "explain"),
    ("weave.cli.inventory_cmd", "inventory"),
    ("weave.cli.impact_cmd", "impact"),
    ("weave.cli.graph_cmd", "graph"),
    ("weave.cli.gateway_cmd", "gateway"),
    ("weave.cli.keys_cmd", "keys"),
    ("weave.cli.owners_cmd", "owners"),
    ("weave.cli.alerts_cmd", "alerts"),
    ("weave.cli.codeowners_cmd", "codeowners"),
    ("weave.cli.docs_cmd", "docs"),
    ("weave.cli.usage_cmd", "usage"),
    ("weave.cli.contract_cmd", "contract"),
    ("weave.cli.check_cmd", "check"),
    ("weave.cli.events_cmd", "events"),
]


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for _, name in COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        for module_name, name in COMMANDS:
            if name == cmd_name:
                module = importlib.import_module(module_name)
                attr = name.replace("-", "_")
                for candidate in (attr, attr + "_", "command"):  # `run_`: the name `run` is a helper there
                    command: Any = getattr(module, candidate, None)
                    if isinstance(command, click.Command):
                        return command
                return None
        return None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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


def main() -> None:
    cli()
