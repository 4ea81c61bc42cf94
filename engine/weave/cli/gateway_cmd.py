"""`weave gateway openapi`: write the gateway's OpenAPI 3.1 document for docs portals."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from rich.markup import escape

from weave.cli.common import paths_argument, print_diagnostics, resolve_paths, stderr
from weave.diagnostics import has_errors


@click.group("gateway")
def gateway() -> None:
    """The API gateway (routes of integrations with a `gateway:` block)."""


@gateway.command("openapi")
@paths_argument()
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the document here (default: stdout).")
@click.option("--server", "server_url", help="Public base URL to list under `servers`.")
def openapi(paths: tuple[str, ...], output: Path | None, server_url: str | None) -> None:
    """Build the OpenAPI 3.1 document `weave serve` publishes at /openapi.json.

    Offline: reads the specs only (secret references are not resolved).

    \b
    Exit codes: 0 written, 1 specs have errors or no gateway routes.

    \b
    Examples:
      weave gateway openapi specs/ -o portal/openapi.json
      weave gateway openapi specs/ --server https://api.acme.example | jq '.paths | keys'
    """
    from weave.gateway.adapter import GatewayConfigError
    from weave.gateway.openapi import build_openapi
    from weave.gateway.project import config_from_project
    from weave.spec import load_project

    result = load_project(resolve_paths(paths))
    if has_errors(result.diagnostics):
        print_diagnostics(result.diagnostics)
        sys.exit(1)
    try:
        config = config_from_project(result.project)
    except GatewayConfigError as exc:
        stderr.print(f"[red]error:[/red] {escape(str(exc))}")
        sys.exit(1)
    if not config.routes:
        stderr.print("[red]error:[/red] no integration has a `gateway:` block with routes")
        sys.exit(1)
    text = json.dumps(build_openapi(config, server_url), indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    stderr.print(f"wrote {output} ({len(config.routes)} route(s))")
