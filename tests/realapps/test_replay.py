"""Replay each committed real-app recording with several users and judge it by the app's own state.

For every app of the corpus (tests/realapps/<app>/: start.py, record.py, <app>.har) the test starts
a fresh instance (new database), runs `python -m loadspec run <app>.har` with USERS concurrent
users and ITERATIONS iterations each, and then reads the app's own database (the objects each
iteration must have created, edited and deleted, and the app's own audit log where it has one) and
its request log (every 4xx/5xx it answered). loadspec's own counts are never the evidence.

These runs pass `--no-check`, so that the app's counts are exactly the load's; the replay check that
`run` does first by default (one more iteration, with one user) is tested on the DRF shop at the end.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from common import App, running  # noqa: E402

USERS = 3
ITERATIONS = 2
RUNS = USERS * ITERATIONS  # iterations in all: each must leave its own objects behind


def replay(app: App, har: Path, *, check: bool = False) -> subprocess.CompletedProcess[str]:
    """`loadspec run har` against the app: USERS users, ITERATIONS iterations each (with `check`,
    after the replay check's own iteration)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LOADSPEC_")}
    app.reset_log()
    return subprocess.run([sys.executable, "-m", "loadspec", "run", str(har), "--host", app.url,
                           "-u", str(USERS), "-r", str(USERS), "--iterations", str(ITERATIONS), "-q",
                           *(() if check else ("--no-check",))],
                          capture_output=True, text=True, timeout=300, env=environment)


def query(app: App, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    """Rows of a query on the app's own database."""
    with sqlite3.connect(app.folder / "db.sqlite3") as db:
        return db.execute(sql, args).fetchall()


def rejected(app: App) -> Counter[str]:
    """`status method path` → count, for every 4xx/5xx answer in the app's own log."""
    return Counter(f"{r['status']} {r['method']} {r['path'].split('?')[0]}" for r in app.rejections())


def test_django_admin() -> None:
    """Each iteration adds two notes, edits the first (title, done) and deletes the second."""
    with running(HERE / "djadmin" / "start.py") as app:
        result = replay(app, HERE / "djadmin" / "djadmin.har")
        notes = query(app, "SELECT id, title, done FROM notes_note ORDER BY id")
        actions = query(app, "SELECT action_flag, object_id FROM django_admin_log")
        flags = Counter(flag for flag, _ in actions)
        edited = {oid for flag, oid in actions if flag == 2}
        deleted = {oid for flag, oid in actions if flag == 3}
        problems = {
            "notes left (one per iteration, edited and done)": [n for n in notes
                                                              if n[1:] != ("Shopping list (edited)", 1)],
            "rejections": rejected(app),
        }
        assert len(notes) == RUNS and not problems["notes left (one per iteration, edited and done)"], (
            notes, result.stdout[-3000:], result.stderr[-3000:])
        assert flags == {1: 2 * RUNS, 2: RUNS, 3: RUNS}, (flags, result.stdout[-3000:])
        assert len(edited) == RUNS and len(deleted) == RUNS and not edited & deleted, (edited, deleted)
        assert not problems["rejections"], problems["rejections"]
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def answered(app: App, method: str, status: int, prefix: str) -> list[str]:
    """Paths of the app's answers with this method and status whose path starts with `prefix`."""
    return [r["path"].split("?")[0] for r in app.responses()
            if r["method"] == method and r["status"] == status and r["path"].startswith(prefix)]


def test_drf_token_shop() -> None:
    """Each iteration creates two items (new client_ref each), renames the first, deletes the second."""
    with running(HERE / "drf" / "start.py") as app:
        result = replay(app, HERE / "drf" / "drf.har")
        items = query(app, "SELECT id, name, client_ref FROM shop_item ORDER BY id")
        created = answered(app, "POST", 201, "/api/items/")
        renamed = answered(app, "PATCH", 200, "/api/items/")
        deleted = answered(app, "DELETE", 204, "/api/items/")
        report = (items, rejected(app), result.stdout[-3000:], result.stderr[-2000:])
        assert len(created) == 2 * RUNS, report
        assert sorted(name for _, name, _ in items) == ["Teapot (blue)"] * RUNS, report
        assert len({ref for _, _, ref in items}) == RUNS, report
        assert len(set(renamed)) == RUNS and len(set(deleted)) == RUNS, (renamed, deleted, report)
        assert not rejected(app), report
        assert result.returncode == 0, report


def test_trac_tickets() -> None:
    """Each iteration creates a ticket, comments on it, resolves it as fixed; creates and deletes another."""
    with running(HERE / "trac" / "start.py") as app:
        result = replay(app, HERE / "trac" / "trac.har")
        tickets = query(app, "SELECT id, summary, status, resolution FROM ticket ORDER BY id")
        comments = Counter(t for (t,) in query(app, "SELECT ticket FROM ticket_change WHERE field = 'comment' "
                                                    "AND newvalue != ''"))
        report = (tickets, dict(comments), rejected(app), result.stdout[-3000:], result.stderr[-2000:])
        assert [t[1:] for t in tickets] == [("Printer on fire", "closed", "fixed")] * RUNS, report
        assert sorted(comments.values()) == [2] * RUNS and set(comments) == {t[0] for t in tickets}, report
        assert len(answered(app, "POST", 303, "/newticket")) == 2 * RUNS, report
        deletes = [r for r in app.responses() if r["method"] == "POST" and r["path"].endswith("?action=delete")]
        assert [r["status"] for r in deletes] == [303] * RUNS, report  # Trac reuses the id of a deleted ticket
        assert not rejected(app), report
        assert result.returncode == 0, report


def test_wagtail_snippets() -> None:
    """Each iteration adds an advert as a draft, edits and publishes it; adds another draft and deletes it."""
    with running(HERE / "wagtail" / "start.py") as app:
        result = replay(app, HERE / "wagtail" / "wagtail.har")
        adverts = query(app, "SELECT id, text, live FROM cms_advert ORDER BY id")
        log = query(app, "SELECT action, object_id FROM wagtailcore_modellogentry")
        actions = Counter(action for action, _ in log)
        published = {oid for action, oid in log if action == "wagtail.publish"}
        deleted = {oid for action, oid in log if action == "wagtail.delete"}
        report = (adverts, actions, rejected(app), result.stdout[-3000:], result.stderr[-2000:])
        assert [a[1:] for a in adverts] == [("Spring sale: 20% off", 1)] * RUNS, report
        assert actions["wagtail.create"] == 2 * RUNS, report
        assert len(published) == RUNS and len(deleted) == RUNS and not published & deleted, report
        assert not rejected(app), report
        assert result.returncode == 0, report


def test_jupyter_contents() -> None:
    """Each iteration creates an untitled notebook (the server names it), saves a code cell into it,
    reads it back, creates a second one and deletes it."""
    with running(HERE / "jupyter" / "start.py") as app:
        result = replay(app, HERE / "jupyter" / "jupyter.har")
        notebooks = sorted((app.folder / "notebooks").glob("*.ipynb"))
        cells = ["".join("".join(c["source"]) for c in json.loads(n.read_text())["cells"]) for n in notebooks]
        deleted = answered(app, "DELETE", 204, "/api/contents/")
        report = ([n.name for n in notebooks], rejected(app), result.stdout[-3000:], result.stderr[-2000:])
        assert len(answered(app, "POST", 201, "/api/contents")) == 2 * RUNS, report
        assert len(notebooks) == RUNS, report
        assert cells == ["print(6 * 7)"] * RUNS, (cells, report)  # every notebook saved by its own iteration
        # Jupyter names an untitled notebook by the first free name, so a name deleted by one iteration
        # is free for the next one to create and delete again: count the deletes, not their names.
        assert len(deleted) == RUNS, (deleted, report)
        assert not rejected(app), report
        assert result.returncode == 0, report


def test_drf_token_shop_with_the_replay_check() -> None:
    """`run drf.har` as a user types it: the replay check's iteration (one user) answers as recorded,
    then the load; the app holds one renamed item per iteration, the check's included, and answered
    no request with a 4xx/5xx."""
    with running(HERE / "drf" / "start.py") as app:
        result = replay(app, HERE / "drf" / "drf.har", check=True)
        items = query(app, "SELECT id, name, client_ref FROM shop_item ORDER BY id")
        report = (items, rejected(app), result.stdout[-3000:], result.stderr[-3000:])
        assert "replay check: all 13 steps answered as recorded" in result.stderr, report
        assert "✗" not in result.stderr, report
        assert len(answered(app, "POST", 201, "/api/items/")) == 2 * (RUNS + 1), report
        assert sorted(name for _, name, _ in items) == ["Teapot (blue)"] * (RUNS + 1), report
        assert len({ref for _, _, ref in items}) == RUNS + 1, report
        assert len(set(answered(app, "DELETE", 204, "/api/items/"))) == RUNS + 1, report
        assert f"{RUNS * 13} requests, 0 failed" in result.stdout, report  # the load's own count: no check in it
        assert not rejected(app), report
        assert result.returncode == 0, report
