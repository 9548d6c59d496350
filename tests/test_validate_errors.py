"""The error-message corpus: every broken spec under tests/specs/bad must be reported precisely.

Each corpus file starts with a comment block that states what `loadspec validate` must say:

    # args: -e staging                                  (optional command-line arguments)
    # expect: 12:9 unknown key 'retires' | did you mean 'retries'
    # expect: data/ragged.csv:3:1 3 fields              (a diagnostic in another file)

An expectation is `[FILE:]LINE:COL` (1-based, in the spec itself unless FILE is given, relative to the
spec's folder) and `|`-separated key phrases that must all appear (case-insensitively) in the message
or the help of the diagnostic reported at exactly that position. The run must exit with code 2, show
no traceback, report exactly as many diagnostics as there are expectations (no spurious extras, and
all of them in one run) and end with the count line `FILE: N errors`.

Most files run in-process through `loadspec.cli.main` for speed; a selection (including every
`multi_*` file) also runs through the real command line, `python -m loadspec validate`.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from loadspec.cli import main

SPECS = Path(__file__).parent / "specs"
BAD = SPECS / "bad"
GOOD = SPECS / "good"
CORPUS = sorted(BAD.glob("*.yaml"))

#: Corpus files that also run through a real `python -m loadspec` subprocess.
SUBPROCESS_FILES = {
    "01_yaml_colon_in_value.yaml",
    "12_unquoted_template_url.yaml",
    "40_used_before_capture.yaml",
    "44_csv_ragged_row.yaml",
    "61_unknown_environment.yaml",
    "66_top_level_list.yaml",
    "100_yaml_alias_bomb.yaml",
    "102_yaml_deep_nesting.yaml",
    "103_yaml_unknown_tag.yaml",
    "116_host_no_scheme.yaml",
} | {path.name for path in CORPUS if path.name.startswith("multi_")}

_EXPECT = re.compile(r"^#\s*expect:\s*(?:(?P<file>[^\s:]+):)?(?P<line>\d+):(?P<col>\d+)\s+(?P<phrases>.+?)\s*$")
_ARGS = re.compile(r"^#\s*args:\s*(?P<args>.+?)\s*$")
_HEADER = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): error: (?P<message>.*)$")
_HELP = re.compile(r"^\s*=\s*help:\s*(?P<help>.*)$")


@dataclass(frozen=True)
class Expectation:
    """One diagnostic the corpus file demands."""

    file: Path
    line: int
    col: int
    phrases: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.file.name}:{self.line}:{self.col} {' | '.join(self.phrases)}"


@dataclass
class Reported:
    """One diagnostic as printed: position, message and help."""

    file: str
    line: int
    col: int
    message: str
    help: str = ""

    def text(self) -> str:
        return f"{self.message}\n{self.help}".lower()


def read_header(path: Path) -> tuple[list[str], list[Expectation]]:
    """The `# args:` and `# expect:` lines of the leading comment block of a corpus file."""
    args: list[str] = []
    expectations: list[Expectation] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line.startswith("#"):
            break
        if match := _ARGS.match(line):
            args += match["args"].split()
        elif match := _EXPECT.match(line):
            target = (path.parent / match["file"]).resolve() if match["file"] else path.resolve()
            phrases = tuple(p.strip() for p in match["phrases"].split("|") if p.strip())
            expectations.append(Expectation(target, int(match["line"]), int(match["col"]), phrases))
    return args, expectations


def parse_report(stderr: str) -> list[Reported]:
    """Every `FILE:LINE:COL: error: message` block of the output, with its help line."""
    found: list[Reported] = []
    for line in stderr.splitlines():
        if match := _HEADER.match(line):
            found.append(Reported(match["file"], int(match["line"]), int(match["col"]), match["message"]))
        elif found and (match := _HELP.match(line)):
            found[-1].help = match["help"]
    return found


def same_file(reported: str, expected: Path, cwd: Path) -> bool:
    path = Path(reported)
    return (path if path.is_absolute() else cwd / path).resolve() == expected


def check_report(spec: Path, expectations: list[Expectation], code: int, stderr: str, cwd: Path) -> None:
    """Assert that the output of one `validate` run meets every expectation of the file, and no more."""
    assert "Traceback" not in stderr, stderr
    assert code == 2, f"exit code {code}, expected 2\n{stderr}"
    reported = parse_report(stderr)
    problems = []
    for want in expectations:
        here = [r for r in reported if (r.line, r.col) == (want.line, want.col) and same_file(r.file, want.file, cwd)]
        if not here:
            problems.append(f"missing diagnostic at {want}")
            continue
        missing = [p for p in want.phrases if not any(p.lower() in r.text() for r in here)]
        if missing:
            problems.append(f"diagnostic at {want.file.name}:{want.line}:{want.col} lacks {missing}")
    if len(reported) != len(expectations):
        problems.append(f"{len(reported)} diagnostics reported, {len(expectations)} expected")
    count = len(expectations)
    count_line = re.compile(rf"^.*{re.escape(spec.name)}: {count} errors?$", re.MULTILINE)
    if not count_line.search(stderr):
        problems.append(f"no count line '{spec.name}: {count} error{'s' if count != 1 else ''}'")
    assert not problems, "\n".join(problems) + f"\n--- output ---\n{stderr}"


def run_in_process(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_cli(argv: list[str], cwd: Path) -> tuple[int, str, str]:
    result = subprocess.run([sys.executable, "-m", "loadspec", *argv], cwd=cwd, capture_output=True,
                            text=True, timeout=60)
    return result.returncode, result.stdout, result.stderr


# --- the corpus ------------------------------------------------------------------------------


def test_corpus_is_complete() -> None:
    singles = [p for p in CORPUS if not p.name.startswith("multi_")]
    multis = [p for p in CORPUS if p.name.startswith("multi_")]
    assert len(singles) >= 300, len(singles)
    assert len(multis) >= 2, len(multis)
    for path in CORPUS:
        _, expectations = read_header(path)
        assert expectations, f"{path.name} has no '# expect:' line"
        if path in singles:
            assert len(expectations) == 1, f"{path.name}: a single-mistake file expects exactly one diagnostic"
    for path in multis:
        assert len(read_header(path)[1]) >= 5, f"{path.name} needs 5 or more mistakes"


@pytest.mark.parametrize("spec", CORPUS, ids=[p.stem for p in CORPUS])
def test_bad_spec_in_process(spec: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args, expectations = read_header(spec)
    code, _, stderr = run_in_process(["validate", str(spec), *args], capsys)
    check_report(spec, expectations, code, stderr, Path.cwd())


@pytest.mark.parametrize("name", sorted(SUBPROCESS_FILES))
def test_bad_spec_command_line(name: str) -> None:
    spec = BAD / name
    args, expectations = read_header(spec)
    code, _, stderr = run_cli(["validate", f"bad/{name}", *args], cwd=SPECS)
    check_report(spec, expectations, code, stderr, SPECS)


# --- the rest of the contract ----------------------------------------------------------------


def test_valid_spec_passes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_in_process(["validate", str(GOOD / "shop.yaml")], capsys)
    assert (code, err) == (0, "")
    assert out == f"{GOOD / 'shop.yaml'}: ok — 2 scenarios, 6 steps, 1 data pool\n"


def test_valid_spec_passes_on_the_command_line() -> None:
    code, out, err = run_cli(["validate", "good/shop.yaml"], cwd=SPECS)
    assert (code, err) == (0, "")
    assert out.strip() == "good/shop.yaml: ok — 2 scenarios, 6 steps, 1 data pool"


def test_rendered_block_has_caret_under_the_mistake(capsys: pytest.CaptureFixture[str]) -> None:
    spec = BAD / "14_unknown_step_key.yaml"
    code, _, stderr = run_in_process(["validate", str(spec)], capsys)
    assert code == 2
    expected = (
        f"{spec}:9:9: error: unknown key 'asert' in a step\n"
        "  |\n"
        "9 |         asert:\n"
        "  |         ^^^^^\n"
        "  = help: did you mean 'assert'?\n"
        "\n"
        f"{spec}: 1 error\n"
    )
    assert stderr == expected


def test_caret_inside_a_quoted_expression(capsys: pytest.CaptureFixture[str]) -> None:
    spec = BAD / "27_jmespath_syntax.yaml"
    _, _, stderr = run_in_process(["validate", str(spec)], capsys)
    lines = stderr.splitlines()
    source = next(i for i, line in enumerate(lines) if line.startswith("10 | "))
    caret = lines[source + 1]
    column = caret.index("^") - len("   | ") + 1
    assert column == 41, stderr
    assert lines[source][len("10 | ") + column - 1] == "."


def test_missing_file_is_one_clean_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.yaml"
    code, out, err = run_in_process(["validate", str(missing)], capsys)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert str(missing) in err and "no such file" in err


def test_missing_file_on_the_command_line(tmp_path: Path) -> None:
    code, out, err = run_cli(["validate", "nope.yaml"], cwd=tmp_path)
    assert code == 2 and out == ""
    assert err.strip() == "error: nope.yaml: no such file"


def test_zero_byte_file_is_empty(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "empty.yaml"
    spec.write_bytes(b"")
    code, _, stderr = run_in_process(["validate", str(spec)], capsys)
    check_report(spec, [Expectation(spec.resolve(), 1, 1, ("empty",))], code, stderr, tmp_path)
