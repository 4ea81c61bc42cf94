"""The integration catalog for the example ecosystem: every page reachable from the index, every link
resolves, nothing external; search and rendering checked in headless Chromium (file:// and `weave docs serve`)."""

from __future__ import annotations

import posixpath
import shutil
import subprocess
import sys
from collections import deque
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from click.testing import CliRunner

from tests.runtime.support import wait_until
from weave.cli.main import cli
from weave.sandbox.services import free_port
from weave.spec import load_project

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.external: list[str] = []
        self.results: list[str] = []
        self._in_results = False
        self.count = ""
        self._in_count = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for key in ("href", "src"):
            value = a.get(key) or ""
            if value.startswith(("http:", "https:", "//")):
                self.external.append(value)
            elif key == "href" and value and not value.startswith("#"):
                self.links.append(value)
        if tag == "ul" and a.get("id") == "results":
            self._in_results = True
        if tag == "a" and self._in_results:
            self.results.append(a.get("href") or "")
        self._in_count = tag == "p" and a.get("id") == "count"

    def handle_endtag(self, tag: str) -> None:
        if tag == "ul":
            self._in_results = False
        self._in_count = False

    def handle_data(self, data: str) -> None:
        if self._in_count:
            self.count += data


def _parse(html: str) -> _Links:
    parser = _Links()
    parser.feed(html)
    return parser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("catalog") / "site"
    result = CliRunner().invoke(cli, ["docs", "build", str(ROOT / "specs"), "--out", str(out), "--format", "json"])
    assert result.exit_code == 0, result.output
    return out


def _chromium(tmp_path: Path, *args: str) -> str:
    proc = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'chrome'}",
         *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_every_page_is_reachable_from_the_index_and_every_link_resolves(site: Path) -> None:
    pages = {p.relative_to(site).as_posix() for p in site.rglob("*.html")}
    assert {"index.html", "integrations/order-to-fulfillment.html", "systems/crm.html",
            "events/crm.order.created.html", "owners/ops-integration.html"} <= pages
    project = load_project([ROOT / "specs"]).project
    assert sum(p.startswith("integrations/") for p in pages) == len(project.integrations) >= 10
    assert sum(p.startswith("systems/") for p in pages) >= len(project.systems)
    assert sum(p.startswith("owners/") for p in pages) == len(project.owners)
    seen, queue, broken = {"index.html"}, deque(["index.html"]), []
    while queue:
        current = queue.popleft()
        parsed = _parse((site / current).read_text())
        assert parsed.external == [], f"{current} loads external resources: {parsed.external}"
        for href in parsed.links:
            target_path = urlsplit(href).path
            if not target_path:
                continue
            rel = posixpath.normpath(posixpath.join(posixpath.dirname(current), target_path))
            if not (site / rel).is_file():
                broken.append(f"{current} -> {href}")
            elif rel not in seen:
                seen.add(rel)
                queue.append(rel)
    assert broken == []
    assert seen == pages


def test_integration_page_has_what_an_owner_needs(site: Path) -> None:
    html = (site / "integrations" / "order-to-fulfillment.html").read_text()
    for needle in ("ops-integration@acme.example", "${env:OPS_SLACK}", "Escalation after", "event-driven",
                   "TIM-REALTIME", "Runner-up", "crm.order.created", "order_ref", "/v1/fulfillment-orders",
                   "subscriber lag at most 1000 messages", "last successful delivery younger than 1h"):
        assert needle in html, needle
    batch = (site / "integrations" / "warehouse-nightly-load.html").read_text()
    assert "batch finished by 06:00 (UTC)" in batch  # the owner's (data-platform) time zone
    system = (site / "systems" / "erp.html").read_text()
    assert "order-to-erp" in system and "finance-it@acme.example" in system and "Impact of a change" in system
    event = (site / "events" / "crm.order.created.html").read_text()
    assert "crm-order-events" in event and "order-to-erp" in event and "v1" in event


def test_search_works_in_headless_chromium(site: Path, tmp_path: Path) -> None:
    dom = _parse(_chromium(tmp_path, "--dump-dom", f"{(site / 'index.html').as_uri()}?q=order"))
    assert "integrations/order-to-erp.html" in dom.results and "events/crm.order.created.html" in dom.results
    assert dom.count.strip() == f"{len(dom.results)} results"
    field = _parse(_chromium(tmp_path, "--dump-dom", f"{(site / 'index.html').as_uri()}#q=order_ref"))
    assert field.results == ["integrations/order-to-fulfillment.html"]  # found by a mapped field
    two_terms = _parse(_chromium(tmp_path, "--dump-dom", f"{(site / 'index.html').as_uri()}?q=finance%20erp"))
    assert "systems/erp.html" in two_terms.results and "owners/finance-it.html" in two_terms.results
    none = _parse(_chromium(tmp_path, "--dump-dom", f"{(site / 'index.html').as_uri()}?q=zzzz-nothing"))
    assert none.results == [] and none.count.strip() == "0 results"


def test_served_preview_and_screenshot(site: Path, tmp_path: Path) -> None:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "weave", "docs", "serve", "--out", str(site), "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}"

        def up() -> bool:
            try:
                return httpx.get(f"{url}/index.html").status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(up, timeout=20)
        assert httpx.get(f"{url}/systems/crm.html").status_code == 200
        dom = _parse(_chromium(tmp_path, "--dump-dom", f"{url}/index.html?q=ops-integration"))
        assert "owners/ops-integration.html" in dom.results
        shot = tmp_path / "catalog.png"
        _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1300,1600", f"{url}/index.html?q=order")
        data = shot.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000  # a rendered page, not a blank one
    finally:
        proc.terminate()
        proc.wait(10)


def test_rebuild_drops_pages_of_removed_specs_and_bad_specs_fail(tmp_path: Path) -> None:
    out = tmp_path / "site"
    runner = CliRunner()
    assert runner.invoke(cli, ["docs", "build", str(ROOT / "specs"), "--out", str(out)]).exit_code == 0
    (out / "integrations" / "removed-long-ago.html").write_text("old")
    result = runner.invoke(cli, ["docs", "build", str(ROOT / "specs"), "--out", str(out)])
    assert result.exit_code == 0 and "pages to" in result.output
    assert not (out / "integrations" / "removed-long-ago.html").exists()
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.yaml").write_text("kind: integration\nname: broken\n")
    failed = runner.invoke(cli, ["docs", "build", str(bad), "--out", str(tmp_path / "site2")])
    assert failed.exit_code == 1 and "WV202" in failed.output and not (tmp_path / "site2").exists()
