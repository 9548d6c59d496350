"""Every bundled example validates and runs clean against the bundled demo shop on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadspec.demo.server import DemoServer

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples").glob("*.yaml"))


@pytest.fixture(scope="module")
def demo_url() -> str:
    with DemoServer() as server:
        yield server.url


def test_there_are_examples() -> None:
    assert len(EXAMPLES) >= 7


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs_clean_against_the_demo(example: Path, demo_url: str, cli) -> None:
    result = cli("run", str(example), "--host", demo_url, "-t", "5s", "-q")  # ci_thresholds wants 100+ requests
    assert result.code == 0, result.text
    totals = result.summary["totals"]
    assert totals["requests"] > 0
    assert totals["failures"] == 0, result.text
    assert result.summary["status"] == "passed"
