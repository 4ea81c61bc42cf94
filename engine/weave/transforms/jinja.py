"""Sandboxed Jinja2 for text: message bodies, SOAP envelopes, e-mails, file names.

* `ImmutableSandboxedEnvironment`: no access to `_`-prefixed attributes (`__class__`,
  `__subclasses__`, `__globals__` ...), no calls to unsafe callables, no mutation of lists/dicts.
* `StrictUndefined`: a missing variable is an error, never an empty string.
* Autoescape by output type: `xml`/`html` output (or a template file named `*.xml[.j2]`,
  `*.html[.j2]`) escapes every substituted value; `text` does not.
* Templates are compiled once and cached (per source and output type, or per file name).
* Only spec-authored template sources are ever compiled. Record data is passed as variables and
  substituted as values: a payload containing `{{ 7*7 }}` stays literally `{{ 7*7 }}`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

OUTPUT_TYPES = ("text", "xml", "html")
_MARKUP_SUFFIXES = (".xml", ".html", ".htm", ".svg", ".xml.j2", ".html.j2", ".htm.j2", ".svg.j2", ".wsdl.j2")

__all__ = ["OUTPUT_TYPES", "SecurityError", "Template", "TemplateEngine", "TemplateError", "output_for"]

TemplateError = jinja2.TemplateError


def output_for(name: str) -> str:
    """The output type a template file implies from its name."""
    lower = name.lower()
    if lower.endswith((".html", ".htm", ".html.j2", ".htm.j2")):
        return "html"
    if lower.endswith(_MARKUP_SUFFIXES):
        return "xml"
    return "text"


class Template:
    """A compiled template. `render(variables)` returns a string."""

    __slots__ = ("_template", "name", "output", "source")

    def __init__(self, template: jinja2.Template, source: str, output: str, name: str | None) -> None:
        self._template = template
        self.source = source
        self.output = output
        self.name = name

    def render(self, variables: Mapping[str, Any], **extra: Any) -> str:
        """Render with `variables` (plus `extra` names). Same context as Template.render(), less overhead."""
        t = self._template
        try:
            context = t.new_context({**t.globals, **variables, **extra}, shared=True)
            return t.environment.concat(t.root_render_func(context))  # type: ignore[no-any-return]
        except Exception:
            return t.environment.handle_exception()  # type: ignore[no-any-return]




class TemplateEngine:
    """One sandbox per output type, sharing a loader rooted at `search_path` (e.g. transforms/).

        engine = TemplateEngine([Path("transforms")])
        engine.from_string("Order {{ id }}").render({"id": 7})
        engine.get("soap/create-order.xml.j2").render(record)      # XML-escaped
    """

    def __init__(
        self,
        search_path: Sequence[str | Path] = (),
        *,
        filters: Mapping[str, Callable[..., Any]] | None = None,
        globals: Mapping[str, Any] | None = None,
    ) -> None:
        loader = jinja2.FileSystemLoader([str(p) for p in search_path]) if search_path else None
        self._envs: dict[str, ImmutableSandboxedEnvironment] = {}
        for output in OUTPUT_TYPES:
            env = ImmutableSandboxedEnvironment(
                loader=loader,
                undefined=jinja2.StrictUndefined,
                autoescape=output != "text",
                auto_reload=False,
                keep_trailing_newline=True,
                cache_size=1000,
            )
            env.filters.update(filters or {})
            env.globals.update(globals or {})
            self._envs[output] = env
        self._strings: dict[tuple[str, str], Template] = {}
        self._files: dict[tuple[str, str], Template] = {}
        self._expressions: dict[str, Callable[..., Any]] = {}

    def _env(self, output: str) -> ImmutableSandboxedEnvironment:
        try:
            return self._envs[output]
        except KeyError:
            raise ValueError(f"unknown output type {output!r}; expected one of {', '.join(OUTPUT_TYPES)}") from None

    def from_string(self, source: str, output: str = "text") -> Template:
        """Compile (once) a template written in a spec. Raises jinja2.TemplateSyntaxError."""
        key = (source, output)
        cached = self._strings.get(key)
        if cached is None:
            cached = Template(self._env(output).from_string(source), source, output, None)
            self._strings[key] = cached
        return cached

    def get(self, name: str, output: str | None = None) -> Template:
        """Load (once) a template file relative to the search path; escaping follows its name."""
        kind = output or output_for(name)
        cached = self._files.get((name, kind))
        if cached is None:
            env = self._env(kind)
            if env.loader is None:
                raise jinja2.TemplateNotFound(name)
            template = env.get_template(name)
            source = Path(template.filename).read_text(encoding="utf-8") if template.filename else ""
            cached = Template(template, source, kind, name)
            self._files[(name, kind)] = cached
        return cached

    def expression(self, source: str) -> Callable[[Mapping[str, Any]], Any]:
        """Compile (once) a Jinja *expression* (`price * qty`) that returns a native value."""
        fn = self._expressions.get(source)
        if fn is None:
            compiled = self._envs["text"].compile_expression(source, undefined_to_none=False)

            def evaluate(variables: Mapping[str, Any], _c: Any = compiled) -> Any:
                value = _c(variables)
                if isinstance(value, jinja2.Undefined):
                    str(value)  # StrictUndefined raises UndefinedError naming the variable
                return value

            fn = evaluate
            self._expressions[source] = fn
        return fn
