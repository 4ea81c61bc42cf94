"""WSDL schemas that `xs:import` / `xs:include` other files: types defined there are known, cycles end,
and a missing file is a clear WV701. The fixture (tests/contracts/fixtures/xsd) is copied to a temporary
directory and validated by `weave validate` run as a CLI subprocess."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from weave.contracts.loader import file_reader, load_contract
from weave.contracts.model import ContractError
from weave.contracts.schemas import enum, lookup, required

from .cli import FIXTURES, copy_fixture, position, weave

WSDL = "contracts/inventory.wsdl"
GIT = ["git", "-c", "user.name=weave-test", "-c", "user.email=test@weave.invalid", "-c", "commit.gpgsign=false"]


def test_imported_and_included_types_are_known() -> None:
    read: list[str] = []

    def reader(path: str) -> bytes:
        read.append(path)
        return file_reader(path)

    root = FIXTURES / "xsd"
    contract = load_contract(str(root / WSDL), reader)
    op = contract.soap("PutItem")
    assert op is not None and op.request is not None
    item, _ = lookup(op.request, ("Item",), strict_declared=True)
    assert item is not None and required(item) == {"Id", "Sku", "Quantity"}  # Id: the base type of common.xsd
    colour, _ = lookup(item, ("Colour",), strict_declared=True)
    assert colour is not None and enum(colour) == ["red", "blue"]  # a simple type of items.xsd
    assert colour["x-line"] == 8  # imported elements point at the WSDL line that imports their file
    accepted, _ = lookup(op.response or {}, ("PutItemResponse", "Accepted"), strict_declared=True)
    assert accepted is not None and accepted["x-xsd"] == "boolean"
    # every file once: the items.xsd <-> common.xsd cycle and the second import of items.xsd end at the visit;
    # the remote xml.xsd is never fetched
    names = [Path(p).name for p in read]
    assert names == ["inventory.wsdl", "messages.xsd", "items.xsd", "common.xsd"]


def test_validate_knows_the_imported_types(tmp_path: Path) -> None:
    root = copy_fixture("xsd", tmp_path)
    result = weave("validate", "specs", "--format", "json", cwd=root)
    assert result.returncode == 1, result.stdout + result.stderr
    found = [d for d in json.loads(result.stdout)["diagnostics"] if d["code"].startswith("WV7")]
    line, column = position(root / "specs/integrations.yaml", "Color", after="name: stock-typo")
    assert [(d["code"], d["line"], d["column"], d["data"]["integration"]) for d in found] == [
        ("WV703", line, column, "stock-typo")]
    assert found[0]["hint"].startswith("did you mean 'Colour'?")


def test_a_missing_imported_file_is_a_clear_wv701(tmp_path: Path) -> None:
    root = copy_fixture("xsd", tmp_path)
    (root / "contracts/types/common.xsd").unlink()
    result = weave("validate", "specs", "--format", "json", cwd=root)
    assert result.returncode == 1
    (found,) = [d for d in json.loads(result.stdout)["diagnostics"] if d["code"] == "WV701"]
    assert (found["file"], found["line"], found["column"]) == (
        "specs/systems.yaml", *position(root / "specs/systems.yaml", "../contracts/inventory.wsdl"))
    assert ("xs:import schemaLocation 'common.xsd' names contracts/types/common.xsd, which does not exist"
            in found["message"]) and found["message"].endswith("(contracts/types/items.xsd:4)")
    assert found["hint"].startswith("fix the schemaLocation at contracts/types/items.xsd:4")
    assert found["data"]["contract"] == "contracts/types/items.xsd"
    text = weave("validate", "specs", cwd=root)
    assert text.returncode == 1 and "error WV701" in text.stdout and "common.xsd" in text.stdout


def test_a_change_in_an_imported_file_is_found_against_a_git_ref(tmp_path: Path) -> None:
    root = copy_fixture("xsd", tmp_path)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=root, check=True)
    subprocess.run([*GIT, "commit", "-q", "-m", "inventory"], cwd=root, check=True)
    items = root / "contracts/types/items.xsd"
    items.write_text(items.read_text().replace('name="Colour" type="Colour"', 'name="Shade" type="Colour"'))
    result = weave("validate", "specs", "--against-ref", "HEAD", "--format", "json", cwd=root)
    assert result.returncode == 1
    diagnostics = json.loads(result.stdout)["diagnostics"]
    broken = [(d["data"]["integration"], d["data"]["field"]) for d in diagnostics if d["code"] == "WV707"]
    assert broken == [("stock-sync", "Item.Colour")]
    added = [d for d in diagnostics if d["code"] == "WV708"]
    assert [(d["file"], d["line"]) for d in added] == [(WSDL, 8)]  # at the import of items.xsd


@pytest.mark.parametrize("change, file, needle", [
    # a type only the remote (never fetched) import could define
    (("types/messages.xsd", 'type="items:Item"', 'type="items:Missing"'), "contracts/types/messages.xsd",
     "remote schemaLocations are not read: http://www.w3.org/2001/xml.xsd"),
    (("types/common.xsd", "<xs:schema ", "<!DOCTYPE x [<!ENTITY e 'x'>]>\n<xs:schema "),
     "contracts/types/common.xsd", "DTDs and entity declarations are not allowed"),
    (("types/items.xsd", 'schemaLocation="common.xsd"', 'schemaLocation="../inventory.wsdl"'),
     "contracts/types/items.xsd", None),  # the WSDL itself: already read, so nothing more
    (("inventory.wsdl", 'schemaLocation="types/items.xsd"', 'schemaLocation="types/not-a-schema.xsd"'),
     "contracts/types/not-a-schema.xsd", "is not an XML Schema"),
])
def test_bad_imports(tmp_path: Path, change: tuple[str, str, str], file: str, needle: str | None) -> None:
    root = copy_fixture("xsd", tmp_path)
    (root / "contracts/types/not-a-schema.xsd").write_text("<other/>\n")
    target = root / "contracts" / change[0]
    assert change[1] in target.read_text()
    target.write_text(target.read_text().replace(change[1], change[2]))
    if needle is None:
        with pytest.raises(ContractError, match="Base"):  # common.xsd is no longer imported: Base is unknown
            load_contract(str(root / WSDL))
        return
    with pytest.raises(ContractError, match=needle) as info:
        load_contract(str(root / WSDL))
    assert info.value.file.endswith(file)
