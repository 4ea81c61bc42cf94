"""Library calls behind every CLI command. They return typed results and never print."""

from weave.api.validate import ValidateResult, validate

__all__ = ["ValidateResult", "validate"]
