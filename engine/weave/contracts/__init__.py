"""Change safety: system API contracts (OpenAPI 3.x, WSDL 1.1, JSON Schema), what each integration uses of
them, offline checks for `weave validate`, and breaking-change impact. See docs/design/contracts.md.

Modules are imported on use (`weave.contracts.loader`, `.usage`, `.checks`, `.diff`, `.impact`), so a
project without contracts never pays for them.
"""
