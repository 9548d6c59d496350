"""The commands the docs tell people to type exist: every `loadspec …` line parses, and the README's
two set-up commands are the ones CI and the demo really use.

Every line of a ```sh or ```bash block in README.md, docs/ and examples/ that runs `loadspec` is
parsed with loadspec's own argparse parser (`cli.build_parser().parse_args`), without running it; a
flag that was renamed or never existed fails here with the file and line.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from pathlib import Path

import pytest

from loadspec.cli import build_parser

REPO = Path(__file__).resolve().parent.parent
DOCS = [REPO / "README.md", REPO / "examples" / "README.md", *sorted((REPO / "docs").glob("*.md"))]
_BLOCK = re.compile(r"^```(sh|bash|shell|console)\s*$(.*?)^```\s*$", re.M | re.S)
_SEPARATORS = re.compile(r"\s*(?:&&|\|\||;|\|)\s*")
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_REDIRECT = re.compile(r"\d*(>>?|<)(&\d)?")


def shell_blocks(path: Path) -> list[tuple[int, str]]:
    """(line number, text) of each shell block's logical lines (`\\` continuations joined)."""
    text = path.read_text(encoding="utf-8")
    found = []
    for block in _BLOCK.finditer(text):
        first = text.count("\n", 0, block.start(2)) + 1
        pending, start = "", first
        for offset, line in enumerate(block.group(2).splitlines()):
            if not pending:
                start = first + offset
            if line.rstrip().endswith("\\"):
                pending += line.rstrip()[:-1] + " "
                continue
            found.append((start, pending + line))
            pending = ""
    return found


def loadspec_commands(line: str) -> list[list[str]]:
    """Each `loadspec ARGS` command of a shell line, as argv after `loadspec` (comments, prompts,
    environment assignments and `.venv/bin/` dropped)."""
    try:
        words = shlex.split(line.strip().removeprefix("$ "), comments=True)
    except ValueError:
        return []
    kept: list[str] = []
    redirect = False
    for word in words:  # drop redirections: `> file`, `2>&1`, `>> log`
        if redirect:
            redirect = False
        elif _REDIRECT.fullmatch(word):
            redirect = not word.endswith(("&1", "&2"))
        else:
            kept.append(word)
    commands: list[list[str]] = []
    current: list[str] = []
    for word in [*kept, "&&"]:
        if _SEPARATORS.fullmatch(word) or word in ("&&", "||", ";", "|"):
            while current and _ASSIGNMENT.match(current[0]):
                current.pop(0)
            if current and Path(current[0]).name == "loadspec":
                commands.append(current[1:])
            current = []
        else:
            current.append(word)
    return commands


CASES = [(f"{path.relative_to(REPO)}:{number}", argv) for path in DOCS
         for number, line in shell_blocks(path) for argv in loadspec_commands(line)]


def test_the_docs_have_loadspec_commands_to_check() -> None:
    assert len(CASES) >= 30
    assert {argv[0] for _, argv in CASES} >= {"run", "validate", "debug", "convert", "export", "worker", "compare",
                                              "schema", "demo"}


@pytest.mark.parametrize("where,argv", CASES, ids=[where for where, _ in CASES])
def test_every_documented_command_parses(where: str, argv: list[str]) -> None:
    errors = io.StringIO()
    try:
        with contextlib.redirect_stderr(errors), contextlib.redirect_stdout(io.StringIO()):
            build_parser().parse_args(argv)
    except SystemExit as exc:
        assert exc.code == 0, f"{where}: loadspec {' '.join(argv)}\n{errors.getvalue()}"


def test_the_parser_check_catches_a_wrong_flag() -> None:
    (argv,) = loadspec_commands("OTEL_SERVICE_NAME=x loadspec run spec.yaml --no-such-flag  # comment")
    with pytest.raises(SystemExit) as stopped, contextlib.redirect_stderr(io.StringIO()):
        build_parser().parse_args(argv)
    assert stopped.value.code == 2


def test_the_readme_leads_with_the_two_commands_ci_and_the_demo_use() -> None:
    blocks = [block.group(2).strip() for block in _BLOCK.finditer((REPO / "README.md").read_text(encoding="utf-8"))]
    install_and_demo, tests = blocks[0], blocks[1]
    assert install_and_demo == "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/loadspec demo"
    assert tests == "bash .ci/run"
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert ci.startswith("#!/usr/bin/env bash")
    assert 'pip install --quiet -e ".[test]"' in ci
    assert "ruff check ." in ci and "python -m pytest" in ci
    # the demo the first command runs: 20 seconds of examples/checkout.yaml, as the README says
    demo = build_parser().parse_args(["demo"])
    assert demo.duration == "20s" and demo.spec is None
    assert (REPO / "examples" / "checkout.yaml").is_file()
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "examples/checkout.yaml" in readme.split("## A tour")[0] and "for 20 seconds" in readme
