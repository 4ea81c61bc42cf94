"""Renderers for diagnostics: one record shape, several views (text, json, github, sarif)."""

from weave.report.diagnostics import FORMATS, render_diagnostics

__all__ = ["FORMATS", "render_diagnostics"]
