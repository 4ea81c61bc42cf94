"""`weave docs build|serve`: the static, searchable, offline integration catalog."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from weave.cli.common import (
    emit_json,
    format_option,
    paths_argument,
    print_diagnostics,
    resolve_paths,
    stdout,
)


@click.group("docs")
def docs() -> None:
    """The integration catalog: one page per integration, system, event and owner, the topology, search.

    \b
    Examples:
      weave docs build specs/ --out site/
      weave docs serve --out site/ --port 8000
    """


@docs.command("build")
@paths_argument()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("site"), show_default=True)
@format_option()
def build(paths: tuple[str, ...], out: Path, fmt: str) -> None:
    """Generate the site (self-contained HTML: works offline and from file://)."""
    from weave.api.docs import docs_build

    site, result = docs_build(resolve_paths(paths), out)
    if site is None:
        print_diagnostics([d for d in result.diagnostics if d.severity.value == "error"])
        sys.exit(1)
    if fmt == "json":
        emit_json({"format": "weave.docs/v1", "out": str(site.out), "index": str(site.index),
                   "pages": list(site.pages)})
    else:
        stdout.print(f"wrote {len(site.pages)} pages to {site.out}/ — open {site.index}")


@docs.command("serve")
@click.option("--out", type=click.Path(file_okay=False, exists=True, path_type=Path), default=Path("site"),
              show_default=True, help="The built site to preview.")
@click.option("--port", default=8000, show_default=True)
@click.option("--host", default="127.0.0.1", show_default=True)
def serve(out: Path, port: int, host: str) -> None:
    """Preview a built site over HTTP (stdlib http.server, loopback by default)."""
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(out))
    with ThreadingHTTPServer((host, port), handler) as server:
        stdout.print(f"serving {out}/ at http://{host}:{server.server_address[1]}/ (Ctrl-C to stop)")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
