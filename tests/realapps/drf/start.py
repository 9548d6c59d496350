"""Start the Django REST framework shop (TokenAuthentication) on 127.0.0.1 with a fresh database.

Shell: `python tests/realapps/drf/start.py [--dir DIR] [--port N]` prints `LISTENING <url>`; the
client page is /, the API /api/token/ and /api/items/; user admin / Secr3t-pass. Tests:
`common.running(this file)`. Answers are logged to DIR/requests.log; the database is
DIR/db.sqlite3 (tables shop_item, authtoken_token).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from djangoapp import base_settings, run_django  # noqa: E402

APPS = ["django.contrib.auth", "django.contrib.contenttypes", "django.contrib.sessions", "django.contrib.messages",
        "django.contrib.staticfiles", "rest_framework", "rest_framework.authtoken", "shop"]


def settings(folder: Path) -> dict[str, Any]:
    return base_settings(folder, APPS, "shop.urls")


if __name__ == "__main__":
    run_django("drf", settings, [Path(__file__), *sorted((HERE / "shop").glob("*.py"))])
