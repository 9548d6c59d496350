"""The terminal's view of a running test: a status frame redrawn in place on a terminal, or the
plain progress lines (`progress_line`) when the output is piped, `TERM` is `dumb` or unset.

`open_progress` picks the kind for a stream; the run loops call `tick` every poll, `say` for any
message of their own (it clears the frame first, so a message is never overdrawn), `restart` when a
new test starts in the web UI, and `done` once a test is over: the live frame is then drawn one last
time, with the numbers of the summary table, and left on the screen. The frame counts the same
requests as the summary table (group entries left out) and its percentiles come from `collect`, so
they never lie above a step's max. It reads Locust's statistics; it never stops or judges a run.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO, Any

from ..lang.text import format_ms
from ..results.runlog import GROUP_METHOD
from ..results.stats import collect, requests_total

#: ANSI control sequences: cursor up N lines, clear the whole line, clear to the end of the screen.
UP, CLEAR_LINE, CLEAR_BELOW = "\x1b[{n}A", "\x1b[2K", "\x1b[J"
#: Seconds between two redraws of the live frame (the plain lines keep their own interval).
LIVE_INTERVAL = 0.5
#: At most this many steps in the frame; the rest are summed up in one "… N more steps" line.
MAX_STEPS = 10
_COLUMNS = (("requests", 9), ("req/s", 8), ("p95", 8), ("failures", 14))
_DROP_ORDER = ("req/s", "p95", "failures")  # the request count stays
TOTAL_KEY = "\0total"  # the total's key among the steps' (name, method) keys
_SGR = {"bold": "\x1b[1m", "dim": "\x1b[2m", "red": "\x1b[31m", "green": "\x1b[32m", "reset": "\x1b[0m"}


def wants_live(stream: IO[str], environ: Mapping[str, str] | None = None) -> bool:
    """True when `stream` is a terminal that understands cursor movement (`TERM` set, not `dumb`)."""
    environ = os.environ if environ is None else environ
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False
    return bool(tty) and environ.get("TERM", "") not in ("", "dumb")


def open_progress(stream: IO[str] | None, order: list[str], *, interval: float = 2.0,
                  environ: Mapping[str, str] | None = None) -> Progress | None:
    """The progress display for `stream` (None: none at all, as with `-q`). `interval` is the plain
    lines' period; the live frame redraws every `LIVE_INTERVAL` seconds."""
    if stream is None:
        return None
    environ = os.environ if environ is None else environ
    if wants_live(stream, environ):
        return LiveStatus(stream, order, color=not environ.get("NO_COLOR"))
    return Progress(stream, interval)


def progress_line(env: Any, elapsed: float, total: float | None, log: Any = None) -> str:
    """`[  12s / 30s, 18s left] users 10 | 412.3 req/s | requests 4950 | failures 0 (0.00%) | p95 23ms`,
    and `| iterations 240, dropped 3` in the open model (`log`, the RunLog, counts them).

    The same requests as the final table (group entries left out); p95 is over the run so far."""
    stats = requests_total(env.stats)
    rps = stats.current_rps or (stats.num_requests / elapsed if elapsed > 0 else 0.0)  # window not filled yet
    p95 = stats.get_response_time_percentile(0.95) if stats.num_requests else None
    if p95 is not None:
        p95 = min(p95, stats.max_response_time)
    rate = stats.fail_ratio * 100
    clock = (f"{elapsed:4.0f}s / {total:.0f}s, {max(total - elapsed, 0):.0f}s left" if total
             else f"{elapsed:4.0f}s")
    users = env.runner.user_count if env.runner else 0
    p95_text = f"{p95:.0f}ms" if p95 is not None else "-"
    line = (f"[{clock}] users {users} | {rps:7.1f} req/s | requests {stats.num_requests} | "
            f"failures {stats.num_failures} ({rate:.2f}%) | p95 {p95_text}")
    if log is not None and log.iterations_started is not None:
        line += f" | iterations {log.iterations_started}, dropped {log.dropped_iterations}"
    return line


class Progress:
    """The plain progress lines, one every `interval` seconds of the test (piped output)."""

    def __init__(self, stream: IO[str], interval: float = 2.0):
        self.stream = stream
        self.interval = interval
        self._last = 0.0

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def restart(self) -> None:
        """A new test began (the web UI): its clock starts at zero."""
        self._last = 0.0

    def tick(self, env: Any, elapsed: float, total: float | None, log: Any = None,
             workers: int | None = None) -> None:
        """Called every poll of the run loop; shows the progress when it is due."""
        if elapsed - self._last >= self.interval:
            self._last = elapsed
            line = progress_line(env, elapsed, total, log)
            self.say(line + (f" | workers {workers}" if workers is not None else "") + "\n")

    def done(self, env: Any, elapsed: float, total: float | None, log: Any = None,
             workers: int | None = None) -> None:
        """The test is over (the plain lines print nothing more)."""
        return None

    def say(self, text: str) -> None:
        """A message of the run loop's own, on the same stream."""
        self.stream.write(text)
        self.stream.flush()

    # An IO-like face, so Interrupts and the distributed master can write their messages here.
    def write(self, text: str) -> int:
        self.say(text)
        return len(text)

    def flush(self) -> None:
        self.stream.flush()


@dataclass
class LiveRow:
    """One line of the frame: a step's (or the total's) numbers so far."""

    name: str
    requests: int
    failures: int
    rps: float | None  # None: not known yet
    p95_ms: float | None


@dataclass
class LiveSnapshot:
    """What one frame shows."""

    elapsed: float
    total_s: float | None
    users: int
    rows: list[LiveRow]  # steps, most requests first
    total: LiveRow
    final: bool = False
    workers: int | None = None
    iterations: tuple[int, int] | None = None  # started, dropped (the open model)


class RateWindow:
    """Requests per second over the last `span` seconds, from the counts seen at each frame (the
    run's average until the test is `span` seconds old)."""

    def __init__(self, span: float = 5.0):
        self.span = span
        self._seen: deque[tuple[float, dict[tuple[str, str], int]]] = deque([(0.0, {})])

    def restart(self) -> None:
        self._seen = deque([(0.0, {})])

    def rates(self, elapsed: float, counts: dict[tuple[str, str], int]) -> dict[tuple[str, str], float | None]:
        """The rate of each key of `counts` (requests so far, at `elapsed` seconds of the test); None
        in the test's first second, too short to tell."""
        while len(self._seen) > 1 and elapsed - self._seen[1][0] >= self.span:
            self._seen.popleft()  # the oldest kept sample is the last one at least `span` old
        since, before = self._seen[0]
        self._seen.append((elapsed, counts))
        seconds = elapsed - since
        if seconds < 1.0:
            return dict.fromkeys(counts)
        return {key: (count - before.get(key, 0)) / seconds for key, count in counts.items()}


def read_snapshot(env: Any, order: list[str], elapsed: float, total_s: float | None, log: Any = None,
                  *, final: bool = False, workers: int | None = None,
                  window: RateWindow | None = None) -> LiveSnapshot:
    """The numbers of a frame, read the way the summary table reads them (`collect`, without group
    entries). While the test runs, req/s is the rate over the last seconds (`window`); the final
    frame shows the table's average over the run."""
    results = collect(env.stats, order, elapsed_s=elapsed)
    steps = [row for row in results.steps if row.method != GROUP_METHOD]
    grand = results.total
    counts = {(row.name, row.method): row.requests for row in steps}
    counts[("", TOTAL_KEY)] = grand.requests
    rates: dict[tuple[str, str], float | None]
    if final or window is None:  # the table's average over the run
        rates = {(row.name, row.method): row.rps for row in steps}
        rates[("", TOTAL_KEY)] = grand.rps
    else:
        rates = window.rates(elapsed, counts)
    rows = [LiveRow(row.name, row.requests, row.failures, rates[(row.name, row.method)],
                    row.p95_ms if row.requests else None) for row in steps]
    position = {name: index for index, name in enumerate(order)}
    rows.sort(key=lambda row: (-row.requests, position.get(row.name, len(position)), row.name))
    total = LiveRow("total", grand.requests, grand.failures, rates[("", TOTAL_KEY)],
                    grand.p95_ms if grand.requests else None)
    iterations = ((log.iterations_started, log.dropped_iterations)
                  if log is not None and log.iterations_started is not None else None)
    users = env.runner.user_count if env.runner else 0
    return LiveSnapshot(elapsed, total_s, users, rows, total, final, workers, iterations)


def _fit(text: str, width: int) -> str:
    """`text` cut to `width` columns, with an ellipsis where it was cut."""
    if len(text) <= width:
        return text
    return text[: max(width - 1, 0)] + "…" if width > 0 else ""


def _rate(rps: float | None) -> str:
    if rps is None:
        return "-"
    return f"{rps:.1f}" if rps < 10_000 else f"{rps:.0f}"


def _failures(row: LiveRow, wide: bool) -> str:
    if not row.failures:
        return "0"
    return f"{row.failures} ({row.failures / row.requests * 100:.1f}%)" if wide and row.requests else str(row.failures)


class Painter:
    """SGR colours, or nothing under NO_COLOR."""

    def __init__(self, color: bool):
        self.color = color

    def __call__(self, text: str, *styles: str) -> str:
        if not self.color or not styles or not text:
            return text
        return "".join(_SGR[s] for s in styles) + text + _SGR["reset"]


def render_frame(snap: LiveSnapshot, width: int, height: int, *, color: bool = False,
                 unicode: bool = True) -> list[str]:
    """The frame's lines; none is wider than `width - 1` columns (a full line would wrap on some
    terminals and spoil the redraw) and there are fewer lines than `height`."""
    usable = max(width - 1, 1)
    paint = Painter(color)
    lines = [_header(snap, usable, paint, unicode)]
    budget = max(height - 1, 1) - 1  # lines left under the header
    if budget < 3:  # no room for a table: the header says it all
        lines[0] = _fit_styled(lines[0], usable)
        return lines
    columns = list(_COLUMNS)
    name_width = usable - sum(w for _, w in columns) - 2
    for dropped in _DROP_ORDER:  # a narrow terminal: the columns go in this order
        if name_width >= 12:
            break
        name_width += dict(columns)[dropped]
        columns = [column for column in columns if column[0] != dropped]
    name_width = min(name_width, max([12, *(len(row.name) for row in snap.rows[:MAX_STEPS])]))
    wide_failures = columns[-1][0] == "failures"

    def cells(row: LiveRow) -> list[str]:
        values = {"requests": str(row.requests), "req/s": _rate(row.rps),
                  "p95": format_ms(row.p95_ms) if row.p95_ms is not None else "-",
                  "failures": _failures(row, wide_failures)}
        return [" " + values[name].rjust(w - 1) for name, w in columns]  # a space between, even when full

    def line(name: str, row: LiveRow, *styles: str) -> str:
        text = "  " + _fit(name, name_width).ljust(name_width)
        values = cells(row)
        if row.failures and columns[-1][0] == "failures":
            values[-1] = paint(values[-1], "red")
        return paint(text, *styles) + "".join(values)

    heading = "  " + "step".ljust(name_width) + "".join(name.rjust(w) for name, w in columns)
    lines.append(paint(heading[:usable], "dim"))
    room = budget - 2  # the column heading and the total
    shown = snap.rows if len(snap.rows) <= min(room, MAX_STEPS) else snap.rows[: max(min(room, MAX_STEPS) - 1, 0)]
    lines += [line(row.name, row) for row in shown]
    hidden = snap.rows[len(shown):]
    if hidden:
        more = sum(row.requests for row in hidden)
        lines.append(paint(_fit(f"  … {len(hidden)} more step{'s' if len(hidden) != 1 else ''} "
                                f"({more} requests)", usable), "dim"))
    lines.append(line("total", snap.total, "bold"))
    return [_fit_styled(text, usable) for text in lines]


def _header(snap: LiveSnapshot, usable: int, paint: Painter, unicode: bool) -> str:
    """`loadspec running ████████░░░░  40%  12s / 30s, 18s left  users 10  workers 2`; on a narrow
    terminal the parts on the right go first, then the bar."""
    lead = f"loadspec {'done' if snap.final else 'running'} "
    clock = (f"{snap.elapsed:.0f}s / {snap.total_s:.0f}s, {max(snap.total_s - snap.elapsed, 0):.0f}s left"
             if snap.total_s else f"{snap.elapsed:.0f}s")
    parts = [clock] if snap.final else [clock, f"users {snap.users}"]
    if snap.iterations is not None:
        parts.append(f"iterations {snap.iterations[0]}, dropped {snap.iterations[1]}")
    if snap.workers is not None:
        parts.append(f"workers {snap.workers}")
    if snap.total.failures:
        parts.append(paint(f"failures {snap.total.failures}", "red"))
    fraction = min(max(snap.elapsed / snap.total_s, 0.0), 1.0) if snap.total_s else None
    percent = f" {fraction * 100:3.0f}%  " if fraction is not None else " "
    for keep in range(len(parts), 0, -1):
        text = "  ".join(parts[:keep])
        room = usable - len(lead) - len(percent) - len(_strip(text))
        if fraction is not None and room >= 6:
            width = min(30, room)
            full = round(fraction * width)
            filled, empty = ("█", "░") if unicode else ("#", "-")
            bar = paint(filled * full, "green") + paint(empty * (width - full), "dim")
            return paint(lead, "bold") + bar + percent + text
    for keep in range(len(parts), 0, -1):
        line = paint(lead.strip(), "bold") + percent.rstrip() + "  " + "  ".join(parts[:keep])
        if len(_strip(line)) <= usable:
            return line
    short = f"{snap.elapsed:.0f}s/{snap.total_s:.0f}s" if snap.total_s else f"{snap.elapsed:.0f}s"
    for line in (f"{percent.strip()}  {clock}", f"{percent.strip()} {short}"):
        if len(line.strip()) <= usable:
            return line.strip()
    return _fit(short, usable)


def _strip(text: str) -> str:
    """`text` without its SGR sequences (what the terminal shows)."""
    for code in _SGR.values():
        text = text.replace(code, "")
    return text


def _fit_styled(text: str, width: int) -> str:
    plain = _strip(text)
    return text if len(plain) <= width else _fit(plain, width)


class LiveStatus(Progress):
    """The frame redrawn in place: the cursor goes back up over the last frame, each line is cleared
    and written again, and whatever the last frame had below the new one is cleared."""

    def __init__(self, stream: IO[str], order: list[str], *, interval: float = LIVE_INTERVAL, color: bool = True,
                 size: Callable[[], os.terminal_size] = shutil.get_terminal_size):
        super().__init__(stream, interval)
        self.order = order
        self.color = color
        self.size = size
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        self.unicode = encoding in ("utf8", "utf_8")
        self._drawn = 0  # lines of the frame now on the screen, under which the cursor is
        self._last = -interval
        self._handler: logging.Handler | None = None
        self.window = RateWindow()

    def __enter__(self) -> LiveStatus:
        """While the frame is up, warnings logged without a handler of their own (Python's last
        resort writes them to stderr) come through `say`, so they do not overwrite the frame."""
        if not logging.getLogger().handlers:
            self._handler = _SayHandler(self)
            logging.getLogger().addHandler(self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._handler is not None:
            logging.getLogger().removeHandler(self._handler)
            self._handler = None

    def restart(self) -> None:
        self._last = -self.interval
        self._drawn = 0
        self.window.restart()

    def tick(self, env: Any, elapsed: float, total: float | None, log: Any = None,
             workers: int | None = None) -> None:
        if elapsed - self._last >= self.interval or not self._drawn:
            self._last = elapsed
            self._draw(read_snapshot(env, self.order, elapsed, total, log, workers=workers, window=self.window))

    def done(self, env: Any, elapsed: float, total: float | None, log: Any = None,
             workers: int | None = None) -> None:
        """The last frame, left on the screen: the next output starts under it."""
        self._draw(read_snapshot(env, self.order, elapsed, total, log, final=True, workers=workers))
        self._drawn = 0

    def say(self, text: str) -> None:
        self.stream.write(self._erase() + text)
        self.stream.flush()
        self._drawn = 0
        self._last = -self.interval  # the frame comes back on the next tick, under the message

    def _erase(self) -> str:
        if not self._drawn:
            return ""
        return "\r" + UP.format(n=self._drawn) + CLEAR_BELOW

    def _draw(self, snap: LiveSnapshot) -> None:
        columns, lines = self.size()
        frame = render_frame(snap, columns, lines, color=self.color, unicode=self.unicode)
        back = "\r" + UP.format(n=self._drawn) if self._drawn else ""
        body = "".join(CLEAR_LINE + line + "\n" for line in frame)
        self.stream.write(back + body + CLEAR_BELOW)
        self.stream.flush()
        self._drawn = len(frame)


class _SayHandler(logging.Handler):
    def __init__(self, live: LiveStatus):
        super().__init__(logging.WARNING)
        self.live = live

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.live.say(self.format(record) + "\n")
        except Exception:  # noqa: BLE001  (logging must never break the run)
            self.handleError(record)


__all__ = ["LIVE_INTERVAL", "LiveRow", "LiveSnapshot", "LiveStatus", "Progress", "open_progress", "progress_line",
           "read_snapshot", "render_frame", "wants_live"]
