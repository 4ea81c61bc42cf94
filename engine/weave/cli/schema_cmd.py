"""`weave schema`: print or export the JSON Schemas that editors and CI use."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from weave.cli.common import stdout
from weave.spec.schema import KINDS, build_schemas


def render(schema: dict) -> str:
    return json.dumps(schema, indent=2, sort_keys=False) + "\n"


@click.command("schema")
@click.option("--kind", type=click.Choice(["all", *KINDS]), default="all", show_default=True,
              help="Which schema to print (all = the umbrella schema that dispatches on `kind`).")
@click.option("--export", "export_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Write every schema file into this directory instead of printing.")
@click.option("--check", "check_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Exit 1 if the schema files in this directory differ from what this weave builds.")
def schema(kind: str, export_dir: Path | None, check_dir: Path | None) -> None:
    """Print or export the JSON Schemas (draft 2020-12) of the spec language.

    \b
    Examples:
      weave schema --export schema/          # refresh the shipped schemas
      weave schema --kind integration        # print one kind
      weave schema --check schema/           # CI: shipped schemas match the code

    Point editors at them with a modeline on the first line of a spec:
      # yaml-language-server: $schema=../schema/weave.schema.json
    """
    schemas = build_schemas()
    if export_dir:
        export_dir.mkdir(parents=True, exist_ok=True)
        for filename, content in schemas.items():
            (export_dir / filename).write_text(render(content))
        stdout.print(f"wrote {len(schemas)} schema files to {export_dir}")
        return
    if check_dir:
        stale = [f for f, c in schemas.items()
                 if not (check_dir / f).is_file() or (check_dir / f).read_text() != render(c)]
        if stale:
            stdout.print(f"[red]stale schema files in {check_dir}: {', '.join(stale)}[/red]\n"
                         f"run: weave schema --export {check_dir}")
            sys.exit(1)
        stdout.print(f"[green]{len(schemas)} schema files are up to date[/green]")
        return
    name = "weave.schema.json" if kind == "all" else f"{kind}.schema.json"
    sys.stdout.write(render(schemas[name]))
