"""Changes of array, object and cookie parameters in `weave contract diff` and `weave validate --against-ref`:
a cookie made required or added as required breaks the calls whose `Cookie` header lacks it; a narrowed enum
of array items breaks the calls sending an item it no longer has; a changed style breaks the calls sending the
parameter. Run as CLI subprocesses on the helpdesk project (styled_params.py) in a fresh git repository."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from .cli import position, weave
from .styled_params import CONTRACT, SPECS, helpdesk_project

GIT = ["git", "-c", "user.name=weave-test", "-c", "user.email=test@weave.invalid", "-c", "commit.gpgsign=false"]
TICKET_READERS = ("clean", "bad-arrays", "exploded-commas", "bad-objects", "no-cookie", "templated-cookie",
                  "bad-cookie")


@pytest.fixture(scope="module")
def changed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = helpdesk_project(tmp_path_factory.mktemp("styled-diff"))
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=root, check=True)
    subprocess.run([*GIT, "commit", "-q", "-m", "helpdesk v1"], cwd=root, check=True)
    contract = root / CONTRACT
    text = contract.read_text()
    for old, new in [
        ("{name: lang, in: cookie, schema:", "{name: lang, in: cookie, required: true, schema:"),      # now required
        ("enum: [open, closed, pending]", "enum: [open, pending]"),                                    # items narrowed
        ("style: pipeDelimited, explode: false", "style: form, explode: false"),                       # style
        ("{name: id, in: path, required: true, style: label,", "{name: id, in: path, required: true,"),  # prefix
        ("limit: {type: integer, minimum: 1, maximum: 100}", "limit: {type: integer, enum: [10, 20]}"),  # content
        ("additionalProperties: false, properties: {priority", "additionalProperties: false, required: [team], "
                                                               "properties: {priority"),                # filter.team
        ("required: [from]", "required: [from, to]"),                                                  # range.to
        ("      responses:\n        '200':\n          description: tickets\n",
         "        - {name: tenant, in: cookie, required: true, schema: {type: string}}\n"               # new required
         "      responses:\n        '200':\n          description: tickets\n"),
    ]:
        assert old in text, old
        text = text.replace(old, new)
    contract.write_text(text)
    return root


def test_contract_diff_classifies_cookie_array_and_style_changes(changed: Path) -> None:
    result = weave("contract", "diff", f"HEAD:{CONTRACT}", CONTRACT, "--specs", "specs", "--format", "json",
                   cwd=changed)
    assert result.returncode == 1, result.stdout + result.stderr
    (system,) = json.loads(result.stdout)["systems"]
    changes = {(c["kind"], c["breaking"], c["field"]): c for c in system["changes"]}
    assert set(changes) == {
        ("parameter-required", True, "cookie.lang"),
        ("parameter-added", True, "cookie.tenant"),
        ("enum-changed", True, "query.status[]"),
        ("parameter-style-changed", True, "query.ids"),
        ("parameter-style-changed", True, "path.id"),  # a scalar that no longer carries the label prefix
        ("enum-changed", True, "query.filter.limit"),  # a property of a JSON `content` parameter
        ("required-added", True, "query.filter.team"),
        ("required-added", True, "query.range.to"),
    }
    assert changes[("parameter-style-changed", True, "query.ids")]["summary"] == (
        "query parameter 'ids' of GET /tickets is now sent as style form, explode false "
        "(was style pipeDelimited, explode false)")
    assert changes[("parameter-required", True, "cookie.lang")]["summary"] == (
        "cookie parameter 'lang' of GET /tickets is now required")


def test_against_ref_names_exactly_the_calls_each_change_breaks(changed: Path) -> None:
    result = weave("validate", "specs", "--against-ref", "HEAD", "--format", "json", cwd=changed)
    assert result.returncode == 1
    broken = {(d["data"]["integration"], d["data"]["change"]["kind"], d["data"]["change"]["field"], d["line"],
               d["column"]) for d in json.loads(result.stdout)["diagnostics"] if d["code"] == "WV707"}
    spec = changed / SPECS

    def at(needle: str, name: str) -> tuple[int, int]:
        line, column = position(spec, needle, after=f"name: {name}")
        return line, column + (len("path: ") if needle == "path:" else 0)  # a call is at its path's value

    assert broken == {
        # a new required cookie: every reader of GET /tickets, at the call (none sends `tenant`)
        *{(name, "parameter-added", "cookie.tenant", *at("path:", name)) for name in TICKET_READERS},
        # lang is now required: the readers whose Cookie header lacks it (a templated session still names lang)
        *{(name, "parameter-required", "cookie.lang", *at("path:", name))
          for name in ("bad-arrays", "exploded-commas", "bad-objects", "no-cookie")},
        # `closed` left the items' enum: the call sending it (and one already sending an unknown item)
        ("clean", "enum-changed", "query.status[]", *at("status", "clean")),
        ("bad-arrays", "enum-changed", "query.status[]", *at("status", "bad-arrays")),
        # the style changed: every call sending ids
        ("clean", "parameter-style-changed", "query.ids", *at("ids", "clean")),
        ("bad-arrays", "parameter-style-changed", "query.ids", *at("ids", "bad-arrays")),
        # limit's values narrowed inside the JSON filter: the call sending limit 0, and the one whose filter is not
        # JSON (nothing in it can be read); content-clean sends limit 10, which the new enum keeps
        ("content-bad", "enum-changed", "query.filter.limit", *at("filter", "content-bad")),
        ("content-not-json", "enum-changed", "query.filter.limit", *at("filter", "content-not-json")),
        # the label prefix went: both calls of GET /agents/{id}, at the path segment they send
        *{(name, "parameter-style-changed", "path.id", at("path:", name)[0], at("path:", name)[1] + len("/agents/"))
          for name in ("label-clean", "label-path")},
        # filter.team is now required: the calls sending a filter without it (range.to: every sender has it)
        ("clean", "required-added", "query.filter.team", *at('"filter[priority]"', "clean")),
        ("bad-objects", "required-added", "query.filter.team", *at('"filter[priority]"', "bad-objects")),
    }
