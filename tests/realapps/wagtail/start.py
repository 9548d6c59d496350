"""Start Wagtail's CMS admin (with an Advert snippet: drafts, revisions) on 127.0.0.1, fresh database.

Shell: `python tests/realapps/wagtail/start.py [--dir DIR] [--port N]` prints `LISTENING <url>`;
log in at /admin/ as admin / Secr3t-pass. Tests: `common.running(this file)`. Answers are logged
to DIR/requests.log; the database is DIR/db.sqlite3 (tables cms_advert, wagtailcore_revision,
wagtailcore_modellogentry: Wagtail's own audit log).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from djangoapp import base_settings, run_django  # noqa: E402

APPS = ["wagtail.contrib.forms", "wagtail.contrib.redirects", "wagtail.embeds", "wagtail.sites", "wagtail.users",
        "wagtail.snippets", "wagtail.documents", "wagtail.images", "wagtail.search", "wagtail.admin", "wagtail",
        "modelcluster", "taggit", "django.contrib.admin", "django.contrib.auth", "django.contrib.contenttypes",
        "django.contrib.sessions", "django.contrib.messages", "django.contrib.staticfiles", "cms"]


def settings(folder: Path) -> dict[str, Any]:
    base = base_settings(folder, APPS, "cms.urls", WAGTAIL_SITE_NAME="Demo", WAGTAILADMIN_BASE_URL="http://127.0.0.1",
                         MEDIA_ROOT=str(folder / "media"), MEDIA_URL="/media/")
    base["MIDDLEWARE"].append("wagtail.contrib.redirects.middleware.RedirectMiddleware")
    return base


if __name__ == "__main__":
    run_django("wagtail", settings, [Path(__file__), *sorted((HERE / "cms").glob("*.py"))])
