"""`weave test`: run every transform fixture and every integration's `tests:` cases."""

from __future__ import annotations

import json
import os
import sys

import click
from rich.markup import escape
from rich.syntax import Syntax

from weave.cli.common import stdout
from weave.transforms.test_report import to_json, to_junit
from weave.transforms.testing import run_tests


def default_paths() -> list[str]:
    """specs/ and transforms/ when the current directory has them, else the directory itself."""
    found = [p for p in ("specs", "transforms") if os.path.isdir(p)]
    return found or ["."]


@click.command("test")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=str))
@click.option("--format", "fmt", type=click.Choice(["text", "json", "junit"]), default="text", show_default=True,
              help="text for people, json (versioned) for tools, junit for CI test reports.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write the json/junit report to this file instead of stdout.")
@click.option("--match", "-k", default=None, help="Only cases whose 'suite :: name' contains this text.")
@click.option("--verbose", "-v", is_flag=True, help="List passing cases too.")
def test(paths: tuple[str, ...], fmt: str, output: str | None, match: str | None, verbose: bool) -> None:
    """Run transform fixtures (transforms/*.yaml) and integration test cases (`tests:`).

    A failing case shows a unified diff of expected and actual output.

    \b
    Exit codes: 0 all passed, 1 a case failed or a transform does not compile, 2 usage error.

    \b
    Examples:
      weave test                              # specs/ and transforms/ of the current project
      weave test transforms/ specs/orders.yaml
      weave test --format junit -o report.xml # for CI
      weave test -k crm-order                 # only matching cases
    """
    report = run_tests(list(paths) or default_paths(), match=match)
    if fmt != "text":
        text = to_junit(report) if fmt == "junit" else json.dumps(to_json(report), indent=2, default=str) + "\n"
        if output:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(text)
        else:
            sys.stdout.write(text)
        sys.exit(0 if report.ok else 1)
    for r in report.results:
        if r.passed:
            if verbose:
                stdout.print(f"[green]PASS[/green] {r.kind} [bold]{escape(r.suite)}[/bold] :: {escape(r.name)}")
            continue
        stdout.print(f"[bold red]FAIL[/bold red] {r.kind} [bold]{escape(r.suite)}[/bold] :: {escape(r.name)}  "
                     f"[dim]{r.file}:{r.line}[/dim]")
        stdout.print(f"     {r.message}", markup=False)
        if r.diff:
            stdout.print(Syntax(r.diff, "diff", theme="ansi_dark", background_color="default"))
    for problem in report.problems:
        stdout.print("[bold red]ERROR[/bold red] " + escape(problem))
    failed = len(report.failed)
    colour = "red" if not report.ok else "green"
    stdout.print(f"[{colour}]{len(report.results) - failed} passed, {failed} failed, {len(report.problems)} problem(s) "
                 f"in {report.suites} suite(s)[/{colour}]")
    sys.exit(0 if report.ok else 1)
