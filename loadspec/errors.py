"""Every error loadspec raises, as one hierarchy rooted in `LoadspecError`, plus `Diagnostic` and the exit codes.

    LoadspecError                 anything loadspec refuses on purpose; the CLI prints it, exit 2
    ├── SpecError                 a spec file is invalid: every Diagnostic found in one pass
    ├── InputFileError            an input file cannot be read at all (missing, not UTF-8, a folder)
    │   └── FetchError            an input URL cannot be fetched (refused, an error status, a timeout)
    ├── HarError                  a HAR recording cannot be imported (not JSON, no entries, ...)
    ├── CompileError              a valid spec cannot be prepared here (an env variable is missing)
    ├── TemplateError             a template has a syntax error or names something unknown
    ├── RunError                  the test could not start, or a report could not be written
    └── UsageError                command-line options that do not fit together
        └── EnvFileError          (sources.envfile) a dotenv file has a bad line

A `Diagnostic` is one problem at one place in an input file; `render()` turns it into the
`file:line:col: error: message` block with the source line, a caret and a `help:` line. This module
only describes and formats problems: it never reads files other than to quote a source line.

Failures at run time (a request that failed, a check that did not hold) are not exceptions: they are
counted in the run's statistics and judged by the thresholds.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .model import Location


@dataclass
class Diagnostic:
    """One problem in an input file: where, what, and (optionally) how to fix it."""

    where: Location
    message: str
    help: str | None = None
    width: int = 1
    severity: str = "error"

    def render(self, source_lines: list[str] | None = None) -> str:
        """Format as `file:line:col: error: message`, the source line, a caret, and `help:`."""
        out = [f"{self.where}: {self.severity}: {self.message}"]
        line = self.where.line
        if source_lines is not None and 0 < line <= len(source_lines):
            text = source_lines[line - 1].rstrip("\n").expandtabs(1)
            gutter = len(str(line))
            col = max(self.where.col, 1)
            width = max(1, min(self.width, max(1, len(text) - col + 1)))
            out.append(f"{' ' * gutter} |")
            out.append(f"{line} | {text}")
            out.append(f"{' ' * gutter} | {' ' * (col - 1)}{'^' * width}")
            if self.help:
                out.append(f"{' ' * gutter} = help: {self.help}")
        elif self.help:
            out.append(f"  = help: {self.help}")
        return "\n".join(out)


def render_all(diagnostics: list[Diagnostic], source_text: str | None = None, file: str | None = None) -> str:
    """Render several diagnostics of one file (`file`, whose text is `source_text`), in file order.
    A diagnostic in another file the spec names (a CSV pool, an extension) quotes that file's line."""
    lines = source_text.splitlines() if source_text is not None else None
    ordered = sorted(diagnostics, key=lambda d: (d.where.file, d.where.line, d.where.col))
    return "\n\n".join(d.render(lines if file is None or d.where.file == file else _lines_of(d.where.file))
                       for d in ordered)


def _lines_of(path: str) -> list[str] | None:
    try:
        return Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None


#: Exit codes of `loadspec run` (documented in docs/thresholds.md).
EXIT_PASSED = 0
EXIT_REQUESTS_FAILED = 1  # no thresholds in the spec and some request failed (or a pool stopped the test)
EXIT_INVALID = 2  # bad spec or options (raised as LoadspecError, turned into this code by the CLI)
EXIT_THRESHOLDS_FAILED = 3
EXIT_ABORTED = 4  # an abort_on_fail threshold stopped the run early
EXIT_INTERRUPTED = 130  # Ctrl+C (SIGINT) ended the run; its summary and reports are still written
EXIT_TERMINATED = 143  # SIGTERM ended the run, likewise


class LoadspecError(Exception):
    """Base class of every error loadspec raises on purpose."""

    exit_code: int = 2


# --- Problems in the input files -------------------------------------------------------------


class SpecError(LoadspecError):
    """A scenario file is invalid; carries every problem found in one pass."""

    def __init__(self, path: Path | str, diagnostics: list[Diagnostic], source_text: str | None = None):
        self.path = str(path)
        self.diagnostics = diagnostics
        self.source_text = source_text
        count = len(diagnostics)
        super().__init__(f"{self.path}: {count} problem{'s' if count != 1 else ''}")

    def render(self) -> str:
        """All problems, each with its source line and caret, then a count."""
        count = len(self.diagnostics)
        body = render_all(self.diagnostics, self.source_text, self.path)
        return f"{body}\n\n{self.path}: {count} error{'s' if count != 1 else ''}"


class InputFileError(LoadspecError):
    """An input file cannot be read at all (missing, unreadable, wrong kind of file)."""


class FetchError(InputFileError):
    """An input given as a URL cannot be fetched (refused, an error status, a timeout, too big)."""


class HarError(LoadspecError):
    """A HAR recording cannot be imported (not JSON, truncated, wrong version, no entries)."""


# --- Problems found when preparing or running a test -----------------------------------------


class CompileError(LoadspecError):
    """A valid spec cannot be turned into a runnable test here (e.g. a missing env variable)."""


class TemplateError(LoadspecError):
    """A template has a syntax error or names something unknown."""

    def __init__(self, message: str, offset: int = 0):
        self.offset = offset
        super().__init__(message)


class RunError(LoadspecError):
    """The load test could not be started or ended abnormally (e.g. a port in use)."""


class UsageError(LoadspecError):
    """Command-line options that do not fit together."""


__all__ = ["EXIT_ABORTED", "EXIT_INTERRUPTED", "EXIT_INVALID", "EXIT_PASSED", "EXIT_REQUESTS_FAILED", "EXIT_TERMINATED",
           "EXIT_THRESHOLDS_FAILED",
           "CompileError", "Diagnostic", "FetchError", "HarError", "InputFileError", "LoadspecError", "RunError",
           "SpecError", "TemplateError", "UsageError", "render_all"]
