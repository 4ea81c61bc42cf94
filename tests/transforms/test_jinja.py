"""Sandboxed Jinja: strict undefined, escaping by output type, caching, no template injection."""

from __future__ import annotations

from pathlib import Path

import jinja2
import pytest

from weave.transforms.jinja import SecurityError, TemplateEngine, output_for


@pytest.fixture()
def engine(tmp_path: Path) -> TemplateEngine:
    (tmp_path / "soap").mkdir()
    (tmp_path / "soap" / "hello.xml.j2").write_text("<name>{{ name }}</name>")
    (tmp_path / "note.txt.j2").write_text("Hi {{ name }}")
    return TemplateEngine([tmp_path])


def test_payload_is_never_evaluated_as_a_template(engine: TemplateEngine) -> None:
    out = engine.from_string("Subject: {{ subject }}").render({"subject": "{{ 7*7 }} {% if 1 %}x{% endif %}"})
    assert out == "Subject: {{ 7*7 }} {% if 1 %}x{% endif %}"


def test_missing_variables_are_errors(engine: TemplateEngine) -> None:
    with pytest.raises(jinja2.UndefinedError, match="customer"):
        engine.from_string("Dear {{ customer.name }}").render({})
    with pytest.raises(jinja2.UndefinedError):
        engine.expression("qty * price")({"qty": 2})


def test_xml_output_is_escaped_and_text_is_not(engine: TemplateEngine) -> None:
    payload = {"name": "<b>Tom & \"Jerry\"</b>"}
    assert engine.get("soap/hello.xml.j2").render(payload) == "<name>&lt;b&gt;Tom &amp; &#34;Jerry&#34;&lt;/b&gt;</name>"
    assert engine.get("note.txt.j2").render(payload) == 'Hi <b>Tom & "Jerry"</b>'
    assert engine.from_string("{{ name }}", output="html").render(payload).startswith("&lt;b&gt;")
    assert engine.from_string("{{ name }}").render(payload) == payload["name"]
    assert output_for("a/b.xml.j2") == "xml" and output_for("x.html") == "html" and output_for("f.txt") == "text"


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ name.__class__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ ().__class__.__bases__[0].__subclasses__() }}",
        "{{ items.append(1) }}",
        "{{ '{0.__class__.__init__.__globals__}'.format(name) }}",
        "{{ name.__len__() }}",
    ],
)
def test_sandbox_escapes_are_refused(engine: TemplateEngine, source: str) -> None:
    with pytest.raises((SecurityError, jinja2.UndefinedError)):
        engine.from_string(source).render({"name": "x", "items": [1]})


def test_attribute_escape_raises_security_error(engine: TemplateEngine) -> None:
    with pytest.raises(SecurityError):
        engine.from_string("{{ name.__class__.__base__.__subclasses__() }}").render({"name": "x"})


def test_templates_are_compiled_once(engine: TemplateEngine) -> None:
    assert engine.from_string("{{ a }}") is engine.from_string("{{ a }}")
    assert engine.from_string("{{ a }}") is not engine.from_string("{{ a }}", output="xml")
    assert engine.get("soap/hello.xml.j2") is engine.get("soap/hello.xml.j2")
    assert engine.expression("a + 1") is engine.expression("a + 1")
    assert engine.expression("a + 1")({"a": 1}) == 2


def test_syntax_errors_surface_at_compile(engine: TemplateEngine) -> None:
    with pytest.raises(jinja2.TemplateSyntaxError):
        engine.from_string("{{ unclosed ")
    with pytest.raises(ValueError, match="output type"):
        engine.from_string("x", output="pdf")
