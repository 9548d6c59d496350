"""Reports of a finished run: one module per format, one `REPORTERS` registry, one `write_reports`.

`console` prints to the terminal; `json`, `junit`, `html` and `csv` write files from a `RunReport`.
A new format is one module and one entry in `REPORTERS`. Reports never run, judge or plan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import RunError, UsageError
from .report import RunReport

#: The file each format gets inside --report-dir (for csv: the prefix of Locust's four files).
REPORT_FILES = {"html": "report.html", "json": "summary.json", "junit": "junit.xml", "csv": "loadspec"}


def _text_reporter(make: Callable[[RunReport], str]) -> Callable[[RunReport, Path], list[Path]]:
    def write(report: RunReport, path: Path) -> list[Path]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(make(report), encoding="utf-8")
        return [path]
    return write


def _html(report: RunReport, path: Path) -> list[Path]:
    from .html import html_text

    return _text_reporter(html_text)(report, path)


def _json(report: RunReport, path: Path) -> list[Path]:
    from .json import json_text

    return _text_reporter(json_text)(report, path)


def _junit(report: RunReport, path: Path) -> list[Path]:
    from .junit import junit_text

    return _text_reporter(junit_text)(report, path)


def _csv(report: RunReport, prefix: Path) -> list[Path]:
    from .csv import write_csv

    return write_csv(report, prefix)


#: Report formats by name: each writes a run's report to a path (or, for csv, a prefix) and returns
#: the files written. The names are the command-line flags (`--html FILE`, ...).
REPORTERS: dict[str, Callable[[RunReport, Path], list[Path]]] = {
    "html": _html, "json": _json, "junit": _junit, "csv": _csv,
}




@dataclass
class ReportTargets:
    """Where the report files go: `--report-dir` plus the single-file flags."""

    report_dir: str | None = None
    html: str | None = None
    json: str | None = None
    junit: str | None = None
    csv: str | None = None

    def paths(self) -> dict[str, list[Path]]:
        """Files per kind (for csv: prefixes), in a stable order."""
        found: dict[str, list[Path]] = {"html": [], "json": [], "junit": [], "csv": []}
        if self.report_dir is not None:
            for kind, name in REPORT_FILES.items():
                found[kind].append(Path(self.report_dir) / name)
        for kind in found:
            given = getattr(self, kind)
            if given is not None:
                found[kind].append(Path(given))
        return found

    def check(self) -> None:
        """Before the run: refuse targets that could never be written (a directory given as a file,
        a file given as the report directory), so a long run does not end without its reports."""
        if self.report_dir is not None and Path(self.report_dir).exists() and not Path(self.report_dir).is_dir():
            raise UsageError(f"--report-dir {self.report_dir}: exists and is not a directory")
        for kind in ("html", "json", "junit"):
            given = getattr(self, kind)
            if given is not None and Path(given).is_dir():
                raise UsageError(f"--{kind} {given}: is a directory; give a file name")


def write_reports(report: RunReport, targets: ReportTargets) -> list[Path]:
    """Write every requested report; returns the paths written. RunError when a file cannot be written."""
    written: list[Path] = []
    try:
        for kind, paths in targets.paths().items():
            for path in paths:
                written.extend(REPORTERS[kind](report, path))
    except OSError as exc:
        raise RunError(f"cannot write report {exc.filename or ''}: {exc.strerror or exc}") from None
    return written


__all__ = ["REPORTERS", "REPORT_FILES", "ReportTargets", "RunReport", "write_reports"]
