"""`loadspec run FILE --ui` in a real browser: headless Chromium, driven with Playwright, starts a test
through the page's form, stops it with STOP, starts a second one through the page and sees it run
(the page's request counts rising from zero, and the target's own count rising), then reads the
loadspec thresholds tab. Screenshots of the second test and of the tab go under the test's
tmp_path; with LOADSPEC_UI_SCREENSHOTS=DIR a copy of each also goes to DIR, for a person to look at.

Debian's chromium is launched directly (`executable_path`); `playwright install` is never needed.
CI installs chromium (.ci/run); without it this test fails, saying so.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import RecordingServer
from playwright.sync_api import Page, expect, sync_playwright
from test_web_ui import free_port, wait_until_serving

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

SPEC = """\
version: 1
name: browsed
host: {host}
defaults:
  think_time: 100ms
thresholds:
  - error_rate < 1%
  - check: p95 < 10s
    step: list items
scenarios:
  - name: shopper
    steps:
      - name: list items
        get: /items
      - name: get health
        get: /health
"""


def served(server: RecordingServer) -> int:
    """The target's own count of the spec's requests."""
    return len(server.paths("/items")) + len(server.paths("/health"))


def poll(condition: Callable[[], bool], what: str, process: subprocess.Popen[bytes], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"loadspec exited ({process.returncode}) while waiting for: {what}"
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"never happened: {what}")


def page_counts(page: Page) -> dict[str, int]:
    """Requests per row of the page's Statistics table (the steps and `Aggregated`)."""
    return page.evaluate("""() => Object.fromEntries(
        [...document.querySelectorAll('main table tbody tr')]
            .map(tr => [...tr.cells].map(td => td.innerText.trim()))
            .filter(cells => cells.length > 2)
            .map(cells => [cells[1], Number(cells[2])]))""")


def status(page: Page) -> str:
    """The header's Status field (`ready`, `running`, `stopped`)."""
    return page.evaluate("""() => [...document.querySelectorAll('header p')]
        .find(p => p.textContent.trim() === 'Status').nextElementSibling.textContent.trim().toLowerCase()""")


def start_from_the_form(page: Page, users: int) -> None:
    page.locator("input[name=userCount]").fill(str(users))
    page.locator("input[name=spawnRate]").fill("10")
    page.get_by_role("button", name="Start", exact=True).click()
    expect(page.get_by_role("button", name="Stop", exact=True)).to_be_visible(timeout=15_000)


def shoot(page: Page, shot: Path) -> None:
    """A screenshot of the whole page (transitions finished), and a copy of it for a person where
    LOADSPEC_UI_SCREENSHOTS says."""
    page.screenshot(path=str(shot), full_page=True, animations="disabled")
    folder = os.environ.get("LOADSPEC_UI_SCREENSHOTS")
    if folder:
        shutil.copy(shot, Path(folder) / shot.name)


def test_a_second_test_starts_from_the_page_after_stop(tmp_path: Path, recording_server: RecordingServer) -> None:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"chromium is missing ({CHROMIUM}): install Debian's chromium "
                    "(apt-get install -y chromium; .ci/run does)")
    spec = tmp_path / "ui.yaml"
    spec.write_text(SPEC.format(host=recording_server.url))
    report = tmp_path / "summary.json"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    out, err = (tmp_path / "stdout.txt").open("wb"), (tmp_path / "stderr.txt").open("wb")
    process = subprocess.Popen([sys.executable, "-m", "loadspec", "run", str(spec), "--ui", "--ui-port", str(port),
                                "--json", str(report)], stdout=out, stderr=err)
    try:
        wait_until_serving(base + "/", process)  # type: ignore[arg-type]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.goto(base + "/")
                expect(page.get_by_text("Start new load test")).to_be_visible()

                # the first test, then STOP
                start_from_the_form(page, users=2)
                poll(lambda: page_counts(page).get("list items", 0) > 5 and served(recording_server) > 10,
                     "the first test's requests on the page and at the target", process)
                page.get_by_role("button", name="Stop", exact=True).click()
                poll(lambda: status(page) == "stopped", "the page says stopped", process)
                first = served(recording_server)
                poll(lambda: "test stopped from the web UI" in (tmp_path / "stdout.txt").read_text(),
                     "loadspec noting the stop", process)
                assert served(recording_server) == first  # nothing runs after STOP
                assert page_counts(page)["Aggregated"] > 0  # the stopped test's results stay on the page

                # a second test from the page: NEW opens the form again
                page.get_by_role("button", name="New", exact=True).click()
                start_from_the_form(page, users=3)
                poll(lambda: status(page) == "running", "the page says running again", process)
                poll(lambda: served(recording_server) > first + 10, "the target counting the second test", process)
                seen = page_counts(page).get("Aggregated", 0)
                poll(lambda: page_counts(page).get("Aggregated", 0) > seen, "the page's count rising", process)
                now = served(recording_server)
                poll(lambda: served(recording_server) > now, "the target's count rising", process)
                shoot(page, tmp_path / "ui-after-second-start.png")

                # the loadspec tab: the thresholds' live verdict of the test now running
                tab = page.get_by_role("tab", name="loadspec thresholds")
                tab.click()
                expect(tab).to_have_attribute("aria-selected", "true")
                table = page.locator("main table")
                expect(table).to_contain_text("error_rate < 1%")
                expect(table.locator("tr", has_text="error_rate < 1%")).to_contain_text("pass")
                expect(table.locator("tr", has_text="p95 < 10s")).to_contain_text("list items")
                shoot(page, tmp_path / "ui-loadspec-tab.png")

                # STOP the second test too; Ctrl+C then reports it (the last test stopped)
                page.get_by_role("tab", name="Statistics").click()
                page.get_by_role("button", name="Stop", exact=True).click()
                poll(lambda: status(page) == "stopped", "the page says stopped again", process)
                second = page_counts(page)
            finally:
                browser.close()
        stopped = served(recording_server)
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)
        out.close()
        err.close()
    stdout = (tmp_path / "stdout.txt").read_text()
    assert code == 0, stdout + (tmp_path / "stderr.txt").read_text()
    assert stdout.count("test stopped from the web UI") == 2, stdout
    assert "ended by stopped from the web UI" in stdout and "✓ error_rate < 1%" in stdout, stdout
    summary = json.loads(report.read_text())
    # the reports are the second test's, and every request of it reached the target
    assert summary["totals"]["requests"] == second["Aggregated"] == stopped - first, (summary["totals"], second)
    assert summary["users"]["peak"] == 3
    for shot in ("ui-after-second-start.png", "ui-loadspec-tab.png"):
        assert (tmp_path / shot).stat().st_size > 10_000  # a rendered page, not an empty image
