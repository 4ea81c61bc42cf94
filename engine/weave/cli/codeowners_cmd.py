"""`weave codeowners`: write (or check) a GitHub/GitLab CODEOWNERS from the specs' owners."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from weave.cli.common import emit_json, format_option, paths_argument, resolve_paths, stdout


@click.command("codeowners")
@paths_argument()
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write (default: the committed CODEOWNERS, else ./CODEOWNERS).")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 when the committed file is stale (for CI).")
@click.option("--stdout", "to_stdout", is_flag=True, help="Print the file instead of writing it.")
@format_option()
def codeowners(paths: tuple[str, ...], out: Path | None, check: bool, to_stdout: bool, fmt: str) -> None:
    """Map each spec file to its owner's review handle (`contacts.handle`, else @<owner>).

    The generated lines sit between `# BEGIN weave codeowners` and `# END weave codeowners`; hand-written rules
    around them are kept. `weave validate` warns (WV851) when the committed file is stale.

    \b
    Examples:
      weave codeowners specs/                 # writes .github/CODEOWNERS, CODEOWNERS or docs/CODEOWNERS
      weave codeowners specs/ --check         # CI: fails when someone changed an owner without regenerating
      weave codeowners specs/ --out .gitlab/CODEOWNERS
    """
    from weave.api.ownership import codeowners as api_codeowners
    from weave.ownership.codeowners import merge

    result = api_codeowners(resolve_paths(paths))
    target = out or result.existing or result.root / "CODEOWNERS"
    content = merge(target.read_text(), result.section) if out is not None and target.is_file() else result.content
    stale = not target.is_file() or target.read_text() != content
    if fmt == "json":
        emit_json({"format": "weave.codeowners/v1", "file": str(target), "stale": stale,
                   "entries": [{"path": p, "owners": list(h)} for p, h in result.entries],
                   **({"content": content} if to_stdout else {})})
    elif to_stdout:
        sys.stdout.write(content)
    if check:
        if fmt != "json":
            stdout.print(f"{target}: " + ("[red]stale[/red] — run `weave codeowners`" if stale else "up to date"))
        sys.exit(1 if stale else 0)
    if not to_stdout:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
        if fmt != "json":
            stdout.print(f"wrote {target} ({len(result.entries)} spec files)")
