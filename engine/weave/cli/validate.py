"""`weave validate`: offline checks for CI."""

from __future__ import annotations

import sys

import click

from weave.api import validate as api_validate
from weave.cli.common import paths_argument, print_diagnostics, resolve_paths, stdout
from weave.diagnostics import Severity
from weave.report import render_diagnostics


@click.command("validate")
@paths_argument()
@click.option("--format", "fmt", type=click.Choice(["text", "json", "github", "sarif"]), default="text",
              show_default=True, help="text for people, json for tools, github for PR annotations, sarif for code scanning.")
@click.option("--strict-owners", is_flag=True, default=None, help="Undeclared owners are errors, not warnings.")
@click.option("--warnings-as-errors", is_flag=True, help="Exit 1 on warnings too.")
@click.option("--against-ref", "against_ref", default=None, metavar="REF",
              help="Also compare every system contract with its version at git revision REF (read with "
                   "`git show`, offline) and report the integrations each breaking change affects.")
@click.option("--events-against-ref", "events_ref", default=None, metavar="REF",
              help="Check event versioning against the event specs at git revision REF (default: against the "
                   "last applied revision when a local SQLite state file exists).")
def validate(paths: tuple[str, ...], fmt: str, strict_owners: bool | None, warnings_as_errors: bool,
             against_ref: str | None, events_ref: str | None = None) -> None:
    """Validate specs offline: YAML, schemas, references, owners, secrets, and the portfolio audit.

    Never touches the network; `weave check --live` is the separate connectivity check.

    \b
    Exit codes: 0 clean (warnings allowed), 1 errors found, 2 usage error.

    \b
    Examples:
      weave validate specs/
      weave validate specs/ --format github      # annotations on a pull request
      weave validate specs/ transforms/ --format json | jq '.diagnostics[] | .code'
      weave validate specs/ --against-ref origin/main   # what a contract change breaks, with owners
    """
    result = api_validate(resolve_paths(paths), strict_owners=strict_owners)
    impact: list = []
    if against_ref:
        from weave.api.contracts import with_ref_check

        result, impact = with_ref_check(result, against_ref)
    from weave.cli.events_cmd import with_event_versions_cli

    result = with_event_versions_cli(result, events_ref)
    if fmt == "text":
        print_diagnostics(result.diagnostics)
        for change in impact:  # --against-ref: one line per changed contract, with the owners it concerns
            stdout.print(change.summary_line(against_ref or ""), markup=False)
        errors, warnings = result.count(Severity.ERROR), result.count(Severity.WARNING)
        colour = "red" if errors else ("yellow" if warnings else "green")
        stdout.print(f"[{colour}]{len(result.files)} file(s) checked: {errors} error(s), {warnings} warning(s)"
                     f"[/{colour}]")
    else:
        out = render_diagnostics(fmt, result.diagnostics, result.files)
        if out:
            sys.stdout.write(out + "\n")
    code = result.exit_code
    if warnings_as_errors and result.count(Severity.WARNING):
        code = 1
    sys.exit(code)
