"""`weave graph`: the topology as Mermaid, DOT, or a self-contained HTML/SVG page."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from weave.api import graph as api_graph
from weave.cli.common import paths_argument, resolve_paths, stdout
from weave.cli.plan_cmd import report_errors
from weave.plan.graph import FORMATS


@click.command("graph")
@paths_argument()
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="mermaid", show_default=True,
              help="mermaid renders in GitHub markdown; dot for Graphviz; html is a page to open in a browser.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of standard output.")
def graph(paths: tuple[str, ...], fmt: str, out: Path | None) -> None:
    """Draw the topology: systems as nodes, integrations as edges coloured by pattern, the hub as a hub,
    events between publishers and subscribers.

    \b
    Examples:
      weave graph specs/ > topology.mmd
      weave graph specs/ --format html --out topology.html
      weave graph specs/ --format dot | dot -Tpng > topology.png
    """
    result = api_graph(resolve_paths(paths), fmt)
    if out is None:
        sys.stdout.write(result.text)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(result.text, encoding="utf-8")
        stdout.print(f"wrote {fmt} topology of {len(result.result.plan.integrations)} integration(s) to {out}")
    report_errors(result.result)
    sys.exit(result.result.exit_code)
