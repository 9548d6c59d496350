"""Start Django's own admin (with a one-model `notes` app) on 127.0.0.1 with a fresh database.

Shell: `python tests/realapps/djadmin/start.py [--dir DIR] [--port N]` prints `LISTENING <url>`;
log in at /admin/ as admin / Secr3t-pass. Tests: `common.running(this file)`. Every answer is
logged to DIR/requests.log; the database is DIR/db.sqlite3 (tables notes_note, django_admin_log).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from djangoapp import base_settings, run_django  # noqa: E402

APPS = ["django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions",
        "django.contrib.messages", "django.contrib.staticfiles", "notes"]


def settings(folder: Path) -> dict[str, Any]:
    return base_settings(folder, APPS, "notes.urls")


if __name__ == "__main__":
    run_django("djadmin", settings, [Path(__file__), *sorted((HERE / "notes").glob("*.py"))])
