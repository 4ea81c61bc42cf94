"""Array, object, cookie, label/matrix path and JSON `content` parameters (WV711/WV712): literal values are split
by the parameter's style and explode (a label or matrix value without its prefix is refused), or parsed as JSON,
and each item or property checked; a required cookie must be in the spec's `Cookie` header. The
helpdesk project (tests/contracts/styled_params.py) is validated by `weave validate` as a CLI subprocess."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from weave.contracts.model import Param
from weave.contracts.paramstyles import array_items, object_pairs, value_problems

from .cli import position, weave
from .styled_params import SPECS, helpdesk_project


@pytest.fixture(scope="module")
def reported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, Any]]]:
    root = helpdesk_project(tmp_path_factory.mktemp("styled"))
    result = weave("validate", "specs", "--format", "json", cwd=root)
    assert result.returncode == 1, result.stdout + result.stderr
    return root, [d for d in json.loads(result.stdout)["diagnostics"] if d["code"].startswith("WV7")]


def _at(root: Path, needle: str, after: str, shift: int = 0, occurrence: int = 0) -> tuple[int, int]:
    line, column = position(root / SPECS, needle, after=f"name: {after}", occurrence=occurrence)
    return line, column + shift


def test_exact_set_of_findings(reported: tuple[Path, list[dict[str, Any]]]) -> None:
    root, found = reported
    assert {(d["code"], d["data"]["integration"], d["line"], d["column"], d["data"].get("parameter")) for d in found} == {
        ("WV712", "bad-arrays", *_at(root, '"open,archived"', "bad-arrays"), "status"),
        ("WV712", "bad-arrays", *_at(root, "toolongtag", "bad-arrays"), "tags"),         # the repeated key's value
        ("WV712", "bad-arrays", *_at(root, '"1|x"', "bad-arrays"), "ids"),
        ("WV712", "bad-arrays", *_at(root, '"true,maybe"', "bad-arrays"), "X-Flags"),
        ("WV712", "exploded-commas", *_at(root, "bug,task", "exploded-commas"), "kinds"),  # one item: 'bug,task'
        ("WV712", "exploded-commas", *_at(root, "a&tags", "exploded-commas"), "tags"),     # 4 items, maxItems 3
        ("WV712", "bad-objects", *_at(root, "9,", "bad-objects"), "filter"),
        ("WV712", "bad-objects", *_at(root, "red", "bad-objects"), "filter"),
        ("WV712", "bad-objects", *_at(root, '"to,2024-02-30"', "bad-objects"), "range"),  # a bad date
        ("WV712", "bad-objects", *_at(root, '"to,2024-02-30"', "bad-objects"), "range"),  # from is required
        ("WV711", "no-cookie", *_at(root, "/tickets", "no-cookie"), "session"),
        ("WV712", "bad-cookie", *_at(root, "XYZ", "bad-cookie"), "session"),               # at the cookie's value
        ("WV712", "bad-cookie", *_at(root, "fr", "bad-cookie"), "lang"),
        ("WV712", "team-path", *_at(root, "/teams/1,x", "team-path", 7), "ids"),
        ("WV712", "label-path", *_at(root, "/agents/5", "label-path", 8), "id"),         # no leading '.'
        ("WV712", "matrix-path", *_at(root, "/queues/;ids=1;ids=x", "matrix-path", 8), "ids"),
        ("WV712", "content-bad", *_at(root, "'{", "content-bad"), "filter"),              # three problems, below
        ("WV712", "content-not-json", *_at(root, '"since=2024-01-01"', "content-not-json"), "filter"),
    }
    assert len([d for d in found if d["data"]["integration"] == "content-bad"]) == 3
    assert len([d for d in found if d["data"]["integration"] == "bad-objects"]) == 4
    # clean literals, a templated cookie (unknown: unchecked, but sent) and no WV703 for `filter[priority]`
    # (content-clean's X-Trace is text/plain, which is not read: its value is over maxLength 3 yet not reported)
    assert not [d for d in found if d["data"]["integration"] in ("clean", "templated-cookie", "label-clean",
                                                                 "content-clean")]


def test_messages_and_hints(reported: tuple[Path, list[dict[str, Any]]]) -> None:
    by: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for d in reported[1]:
        by.setdefault((d["data"]["integration"], d["data"]["parameter"]), []).append(d)
    (status,) = by[("bad-arrays", "status")]
    assert status["message"].endswith("gets 'open,archived', item 'archived': not one of open, closed, pending")
    assert status["hint"] == ("send a value the contract allows (an array of one of open, closed, pending, sent as "
                              "`a,b` (style form, explode false))")
    (kinds,) = by[("exploded-commas", "kinds")]
    assert "item 'bug,task': not one of bug, task (the contract reads one item per `kinds=`" in kinds["message"]
    assert "`kinds=a&kinds=b`" in kinds["hint"]
    assert "4 items, more than maxItems 3" in by[("exploded-commas", "tags")][0]["message"]
    (flags,) = by[("bad-arrays", "X-Flags")]
    assert flags["message"].endswith("gets the value, item 2: which is not a boolean")  # header values not echoed
    messages = sorted(d["message"] for d in by[("bad-objects", "filter")])
    assert messages[0].endswith("gets '9', property 'priority' = '9': above the maximum 5")
    assert messages[1].endswith("gets 'red', which has no property 'colour' (declared: priority, team)")
    assert sorted(d["message"].split(", ", 1)[1] for d in by[("bad-objects", "range")]) == [
        "property 'to' = '2024-02-30': which is not a valid date", "which lacks the required property from"]
    (missing,) = by[("no-cookie", "session")]
    assert "required cookie parameter 'session' of GET /tickets" in missing["message"]
    assert missing["hint"].startswith("send it in a `Cookie` header under `headers:` of this operation")
    assert missing["data"]["in"] == "cookie"
    (label,) = by[("label-path", "id")]
    assert label["message"].endswith("gets '5', which lacks the leading '.' of style label")
    assert label["hint"] == "send a value the contract allows (integer, sent as `.value` (style label))"
    (matrix,) = by[("matrix-path", "ids")]
    assert matrix["message"].endswith("gets ';ids=1;ids=x', item 'x': which is not an integer")
    assert "sent as `;ids=a;ids=b` (style matrix, explode true)" in matrix["hint"]
    assert sorted(d["message"].split("', ", 1)[1] for d in by[("content-bad", "filter")]) == [
        "at /colour: a property the contract does not declare (declared: limit, since)",
        "at /limit: below the minimum 1", "at /since: which is not a valid date"]
    (not_json,) = by[("content-not-json", "filter")]
    assert not_json["message"].endswith("gets 'since=2024-01-01', which is not JSON (the contract describes it as "
                                        "application/json)")
    assert not_json["hint"] == ("send a value the contract allows (application/json of an object (since: string "
                                "(format date), limit: integer (minimum 1, maximum 100)))")
    for d in by[("bad-cookie", "session")] + by[("bad-cookie", "lang")]:
        assert "XYZ" not in d["message"] and "'fr'" not in d["message"]  # cookie values are not echoed


def test_fixing_the_specs_clears_the_findings(tmp_path: Path) -> None:
    root = helpdesk_project(tmp_path)
    spec = root / SPECS
    text = spec.read_text()
    for old, new in [('"open,archived"', '"open,pending"'), ("toolongtag", "tag"), ('"1|x"', '"1|2"'),
                     ('"true,maybe"', '"true,false"'), ("bug,task&tags=a&tags=b&tags=c&tags=d", "bug&kinds=task"),
                     ('"filter[priority]": 9, "filter[colour]": red', '"filter[priority]": 5, "filter[team]": red'),
                     ('"to,2024-02-30"', '"from,2024-02-29"'),
                     ('headers: {X-Flags: "true"}', 'headers: {X-Flags: "true", Cookie: "session=00ff00ff"}'),
                     ("session=XYZ; lang=fr", "session=abcdef01; lang=de"), ("/teams/1,x", "/teams/1,2"),
                     ("/agents/5", "/agents/.7"), (";ids=x", ";ids=2"),
                     ('"2024-02-30", "limit": 0, "colour": "red"', '"2024-02-29", "limit": 1'),
                     ('"since=2024-01-01"', "'{\"since\": \"2024-01-01\"}'")]:
        assert old in text, old
        text = text.replace(old, new)
    spec.write_text(text)
    result = weave("validate", "specs", "--format", "json", cwd=root)
    left = [d for d in json.loads(result.stdout)["diagnostics"] if d["code"].startswith("WV7")]
    assert left == [] and result.returncode == 0, left


def test_usage_lists_the_cookie_names_only(tmp_path: Path) -> None:
    root = helpdesk_project(tmp_path)
    result = weave("usage", "bad-cookie", "specs", "--format", "json", cwd=root)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "XYZ" not in result.stdout
    calls = json.loads(result.stdout)["integrations"][0]["calls"] if "integrations" in json.loads(result.stdout) \
        else json.loads(result.stdout)["calls"]
    (read,) = [c for c in calls if c["role"] == "read"]
    assert [c["field"] for c in read["cookies"]] == ["session", "lang"]
    text = weave("usage", "bad-cookie", "specs", cwd=root)
    assert text.returncode == 0 and "    cookies: session, lang\n" in text.stdout and "XYZ" not in text.stdout


ARRAY = {"type": "array", "items": {"type": "integer", "minimum": 0}}


@pytest.mark.parametrize("param, texts, expected", [
    (Param("a", "query", schema=ARRAY), ["1", "2"], [(0, "1"), (1, "2")]),                # form, explode
    (Param("a", "query", schema=ARRAY, explode=False), ["1,2"], [(0, "1"), (0, "2")]),
    (Param("a", "query", schema=ARRAY, style="spaceDelimited"), ["1 2"], [(0, "1"), (0, "2")]),
    (Param("a", "query", schema=ARRAY, style="pipeDelimited"), ["1|2", "3"], [(0, "1"), (0, "2"), (1, "3")]),
    (Param("a", "header", schema=ARRAY), ["1,2"], [(0, "1"), (0, "2")]),                  # simple
    (Param("a", "path", schema=ARRAY, style="label"), [".1,2"], [(0, "1"), (0, "2")]),
    (Param("a", "path", schema=ARRAY, style="label", explode=True), [".1.2"], [(0, "1"), (0, "2")]),
    (Param("a", "path", schema=ARRAY, style="label"), ["1,2"], None),                     # no prefix: not read
    (Param("a", "path", schema=ARRAY, style="matrix"), [";a=1,2"], [(0, "1"), (0, "2")]),
    (Param("a", "path", schema=ARRAY, style="matrix", explode=True), [";a=1;a=2"], [(0, "1"), (0, "2")]),
    (Param("a", "path", schema=ARRAY, style="matrix", explode=True), [";a=1;b=2"], None),
    (Param("a", "path", schema=ARRAY, style="matrix"), [";a"], []),                       # an empty array
    (Param("a", "query", schema=ARRAY, explode=False), [""], []),                         # an empty array
])
def test_array_items(param: Param, texts: list[str], expected: list[tuple[int, str]] | None) -> None:
    assert array_items(param, texts) == expected


OBJECT = {"type": "object", "properties": {"n": {"type": "integer"}, "s": {"type": "string"}}}


@pytest.mark.parametrize("param, text, expected", [
    (Param("o", "query", schema=OBJECT, explode=False), "n,1,s,x", [("n", "1"), ("s", "x")]),
    (Param("o", "query", schema=OBJECT, explode=False), "n,1,s", "which is not a list of name,value pairs "
                                                                 "(style form, explode false)"),
    (Param("o", "header", schema=OBJECT), "n,1", [("n", "1")]),
    (Param("o", "header", schema=OBJECT, explode=True), "n=1,s=x", [("n", "1"), ("s", "x")]),
    (Param("o", "header", schema=OBJECT, explode=True), "n=1,s", "which is not a list of name=value pairs "
                                                                 "(style simple, explode true)"),
    (Param("o", "query", schema=OBJECT, style="deepObject"), "n,1", []),
    (Param("o", "path", schema=OBJECT, style="label"), ".n,1,s,x", [("n", "1"), ("s", "x")]),
    (Param("o", "path", schema=OBJECT, style="label", explode=True), ".n=1.s=x", [("n", "1"), ("s", "x")]),
    (Param("o", "path", schema=OBJECT, style="matrix"), ";o=n,1", [("n", "1")]),
    (Param("o", "path", schema=OBJECT, style="matrix", explode=True), ";n=1;s=x", [("n", "1"), ("s", "x")]),
    (Param("o", "path", schema=OBJECT, style="matrix", explode=True), ";n=1;s", "which is not a list of "
                                                                               "name=value pairs (style matrix, "
                                                                               "explode true)"),
    (Param("o", "path", schema=OBJECT, style="matrix"), "n,1", "which lacks the prefix ';o=' of style matrix"),
])
def test_object_pairs(param: Param, text: str, expected: Any) -> None:
    assert object_pairs(param, text) == expected


def test_value_problems_leave_unknown_parts_unchecked() -> None:
    tags = Param("tags", "query", schema={"type": "array", "minItems": 2, "items": {"type": "integer"}})
    assert value_problems(tags, [("tags", "1")]) == [(0, "1 item, fewer than minItems 2")]
    assert value_problems(tags, [("tags", "1"), ("tags", None)]) == []  # the count is not known
    assert value_problems(tags, [("tags", "x"), ("tags", None)]) == [(0, "item 'x': which is not an integer")]
    deep = Param("f", "query", schema={**OBJECT, "required": ["n", "s"]}, style="deepObject")
    assert value_problems(deep, [("f[n]", "1"), ("f[s]", None)]) == []  # s is sent, its value unknown
    assert value_problems(deep, [("f[n]", "1")]) == [(0, "which lacks the required property s")]
    exploded = Param("f", "query", schema={**OBJECT, "required": ["n"]})  # form, explode: keys are properties
    assert value_problems(exploded, [("n", "x")]) == [(0, "property 'n' = 'x': which is not an integer")]
    assert value_problems(Param("k", "cookie", schema={"type": "integer"}), [("k", "x")]) == [
        (0, "which is not an integer")]


CONTENT = {"type": "object", "required": ["kind"], "properties": {
    "kind": {"type": "string", "enum": ["a", "b"]}, "n": {"type": "integer", "nullable": True},
    "tags": {"type": "array", "maxItems": 2, "items": {"type": "string", "maxLength": 3}}}}


@pytest.mark.parametrize("media, text, expected", [
    ("application/json", '{"kind": "a", "n": null, "tags": ["x"]}', []),
    ("application/json", '{"kind": "c"}', ['at /kind: "c" is not one of "a", "b"']),
    ("application/json", '{"n": "1"}', ["at /n: a JSON string where the contract wants integer/null",
                                        "lacks the required property kind"]),
    ("application/json", '{"kind": "a", "tags": ["x", "long", 3]}', [
        "at /tags: 3 items, more than maxItems 2", "at /tags/1: longer than maxLength 3",
        "at /tags/2: a JSON integer where the contract wants string"]),
    ("application/json", '[1]', ["a JSON array where the contract wants object"]),
    ("application/vnd.acme+json; charset=utf-8", "{", ["which is not JSON (the contract describes it as "
                                                       "application/vnd.acme+json; charset=utf-8)"]),
    ("text/plain", "{", []),                                            # not JSON: not read
])
def test_content_parameters(media: str, text: str, expected: list[str]) -> None:
    param = Param("q", "query", schema=CONTENT, media=media)
    assert [problem for _, problem in value_problems(param, [("q", text)])] == expected


@pytest.mark.parametrize("style, explode, text, expected", [
    ("label", None, ".5", []),
    ("label", None, ".x", [(0, "which is not an integer")]),
    ("label", None, "5", [(0, "which lacks the leading '.' of style label")]),
    ("matrix", None, ";id=5", []),
    ("matrix", True, ";id=5", []),                                    # explode changes nothing for a scalar
    ("matrix", None, ";id=x", [(0, "which is not an integer")]),
    ("matrix", None, ";other=5", [(0, "which lacks the prefix ';id=' of style matrix")]),
    ("simple", None, ".5", [(0, "which is not an integer")]),          # only label and matrix carry a prefix
])
def test_scalar_path_values_in_label_and_matrix_style(style: str, explode: bool | None, text: str,
                                                       expected: list[tuple[int, str]]) -> None:
    param = Param("id", "path", True, schema={"type": "integer"}, style=style, explode=explode)
    assert value_problems(param, [("id", text)]) == expected


@pytest.mark.parametrize("header, templated, cookies, opaque", [
    ("'a=1; b=\"q\"'", "jinja", [("a", "1", 12), ("b", "q", 17)], False),   # a quoted value is unquoted
    ('"s=${env:SESSION}; lang=en"', "jinja", [("s", None, 12), ("lang", "en", 30)], False),  # a secret: unknown
    ('"{{ state.cookie }}"', "jinja", [], True),                               # any cookie may be in it
    ('"{% if x %}a=1{% endif %}"', "jinja", [], True),
    ('"sid={claims.sid}"', "gateway", [("sid", None, 12)], False),
    ("7", "jinja", [], False),
])
def test_cookie_uses(header: str, templated: str, cookies: list[tuple[str, str | None, int]], opaque: bool) -> None:
    from weave.contracts.callparams import cookie_uses
    from weave.spec.yamlload import load_text

    (doc,), _ = load_text(f"headers:\n  cookie: {header}\n", "spec.yaml")
    found, unknown = cookie_uses(doc, ("headers",), doc.data["headers"], "extract.http.headers", templated)
    assert [(c.name, c.value, c.column) for c in found] == cookies and unknown is opaque
    assert all(c.location == "cookie" and c.line == 2 for c in found)
