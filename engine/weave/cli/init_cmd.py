"""`weave init`: scaffold a new spec repository."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from weave.cli.common import stdout
from weave.spec.schema import build_schemas

MODELINE = "# yaml-language-server: $schema=../schema/weave.schema.json\n"

FILES: dict[str, str] = {
    "weave.toml": """# weave project settings. Precedence: command-line flags > WEAVE_* environment variables > this file.
[project]
name = "my-integrations"

[state]
url = "sqlite:///.weave/state.db"   # postgresql://... for shared deployments

[ownership]
strict = false                      # true: owners without a `kind: owner` spec are errors
""",
    "specs/owners.yaml": MODELINE + """kind: owner
name: crm-team
type: team
contacts:
  email: crm-team@example.com
  handle: "@example/crm-team"
""",
    "specs/systems.yaml": MODELINE + """kind: system
name: crm
owner: crm-team
role: crm
api:
  style: rest
  base_url: "${env:CRM_URL}"
  auth: {type: bearer, token: "${env:CRM_TOKEN}"}
---
kind: system
name: email
owner: crm-team
api:
  style: rest
  base_url: "${env:EMAIL_URL}"
  auth: {type: api-key, header: X-API-Key, key: "${env:EMAIL_API_KEY}"}
""",
    "specs/integrations/welcome-email.yaml": MODELINE + """kind: integration
name: welcome-email
description: Send a welcome e-mail when a contact is created in the CRM.
owner: crm-team
source: crm
target: email
direction: push
timing: near-real-time
volume: {records_per_transaction: 1, transactions_per_day: 500}
coupling: tight
transform_complexity: simple
""",
    ".pre-commit-config.yaml": """repos:
  - repo: local
    hooks:
      - id: weave-validate
        name: weave validate
        entry: weave validate
        language: system
        files: \\.(ya?ml)$
        pass_filenames: false
        args: [specs/]
""",
    "transforms/.gitkeep": "",
}


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
def init(directory: Path, force: bool) -> None:
    """Scaffold a new spec repository in DIRECTORY (default: here).

    \b
    Example:
      weave init acme-integrations && cd acme-integrations && weave validate specs/
    """
    files: dict[str, str] = dict(FILES)
    for filename, schema in build_schemas().items():
        files[f"schema/{filename}"] = json.dumps(schema, indent=2) + "\n"
    existing = [name for name in files if (directory / name).exists()]
    if existing and not force:
        stdout.print(f"[red]refusing to overwrite: {', '.join(existing)}[/red] (use --force)")
        sys.exit(1)
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    stdout.print(f"[green]created {len(files)} files in {directory}[/green]\nnext: weave validate {directory}/specs")
