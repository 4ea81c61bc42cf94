"""`weave contract diff OLD NEW`: classify the changes between two contract versions, and name the
integrations, steps, fields and owners each breaking change affects."""

from __future__ import annotations

import sys

import click
from rich.markup import escape

from weave.cli.common import emit_json, format_option, stderr, stdout

SCHEMA_VERSION = 1


@click.group("contract")
def contract() -> None:
    """System API contracts (OpenAPI, WSDL, JSON Schema): compare versions, see what breaks."""


@contract.command("diff")
@click.argument("old")
@click.argument("new", type=click.Path(exists=True, dir_okay=False, path_type=str))
@click.option("--specs", "specs", multiple=True, type=click.Path(exists=True, path_type=str),
              help="Spec paths whose integrations are checked for impact (default: specs/ if present).")
@click.option("--system", default=None, help="The system the contract belongs to (default: the one whose "
                                              "api.contract is NEW or OLD).")
@format_option()
def diff(old: str, new: str, specs: tuple[str, ...], system: str | None, fmt: str) -> None:
    """Compare contract OLD with NEW: removed operations and fields, new required fields, changed types and
    enums are breaking; additions are not. For each breaking change, list the integrations, steps and
    fields that use the changed part, with their owners. OLD may be REF:PATH (read with `git show`).

    \b
    Exit codes: 0 no breaking change, 1 breaking changes, 2 unreadable contract.

    \b
    Examples:
      weave contract diff old/erp.wsdl contracts/erp.wsdl
      weave contract diff origin/main:contracts/erp.wsdl contracts/erp.wsdl
      weave contract diff crm-v1.yaml contracts/crm.openapi.yaml --specs specs/ --format json
    """
    import os

    from weave.api.contracts import contract_diff

    spec_paths = list(specs) or (["specs"] if os.path.isdir("specs") else [])
    result = contract_diff(old, new, specs=spec_paths, system=system)
    if result.error:
        stderr.print(f"[red]{escape(result.error)}[/red]")
        sys.exit(2)
    if fmt == "json":
        emit_json({"schema_version": SCHEMA_VERSION, "kind": "weave-contract-diff",
                   "systems": [s.to_dict() for s in result.systems]})
        sys.exit(result.exit_code)
    for found in result.systems:
        title = f"{found.system or 'contract'}: {found.contract}"
        versions = f" ({found.old_version} → {found.new_version})" if found.old_version != found.new_version else ""
        stdout.print(f"[bold]{escape(title)}[/bold]{escape(versions)}: {len(found.breaking)} breaking, "
                     f"{len(found.changes) - len(found.breaking)} non-breaking change(s)")
        for change in found.changes:
            tag = "[bold red]breaking[/bold red]" if change.breaking else "[green]non-breaking[/green]"
            stdout.print(f"  {tag} {escape(change.summary)}")
            for hit in (a for a in found.affected if a.change is change):
                used = f"{hit.field} ← {hit.step}" if hit.field else hit.where
                stdout.print(f"      affects [bold]{escape(hit.integration)}[/bold] (owner {escape(hit.owner or 'none')}):"
                             f" {escape(used)} [dim]{escape(hit.file)}:{hit.line}:{hit.column}[/dim]")
    sys.exit(result.exit_code)
