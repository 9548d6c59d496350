"""Start a Django project of the corpus: settings in code, a fresh SQLite database, a known superuser.

Its one job is the part every Django-based `start.py` shares: configure Django from a dict, build
the database once per code version as a migrated template (Wagtail has hundreds of migrations) and
copy it into the run's folder, so each start gets a fresh, pristine database in a few seconds; then
serve the project (with its static files) through `common.serve` on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import serve  # noqa: E402

USERNAME = "admin"
PASSWORD = "Secr3t-pass"


def base_settings(folder: Path, apps: list[str], urlconf: str, **extra: Any) -> dict[str, Any]:
    """Settings shared by the corpus' Django projects (the database lives in `folder`)."""
    settings: dict[str, Any] = {
        "DEBUG": False,
        "SECRET_KEY": "realapps-not-secret",
        "ALLOWED_HOSTS": ["127.0.0.1", "localhost"],
        "ROOT_URLCONF": urlconf,
        "INSTALLED_APPS": apps,
        "MIDDLEWARE": [
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
        ],
        "DATABASES": {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(folder / "db.sqlite3"),
                                  "OPTIONS": {"timeout": 30, "transaction_mode": "IMMEDIATE"}}},
        "TEMPLATES": [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [],
                       "APP_DIRS": True, "OPTIONS": {"context_processors": [
                           "django.template.context_processors.request",
                           "django.contrib.auth.context_processors.auth",
                           "django.contrib.messages.context_processors.messages"]}}],
        "STATIC_URL": "/static/",
        "STATIC_ROOT": str(folder / "static"),
        "USE_TZ": True,
        "DEFAULT_AUTO_FIELD": "django.db.models.AutoField",
        # a fast hasher: six logins a second must not cost six CPU-seconds on a shared test machine
        "PASSWORD_HASHERS": ["django.contrib.auth.hashers.MD5PasswordHasher"],
        "LOGGING_CONFIG": None,
    }
    settings.update(extra)
    return settings


def run_django(name: str, make_settings: Callable[[Path], dict[str, Any]], code: list[Path],
               prepare: Callable[[], None] | None = None) -> None:
    """`start.py --dir DIR [--port N]`: fresh database in DIR (copied from a migrated template), serve."""
    parser = argparse.ArgumentParser(description=f"Start {name} on 127.0.0.1 with a fresh database.")
    parser.add_argument("--dir", type=Path, help="folder for the database and the request log (default: a new "
                                                 "temporary folder)")
    parser.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix=f"realapp-{name}-"))
    folder.mkdir(parents=True, exist_ok=True)
    import django
    from django.conf import settings

    settings.configure(**make_settings(folder))
    django.setup()
    database = folder / "db.sqlite3"
    digest = hashlib.sha256(django.__version__.encode())
    for path in sorted(code):
        digest.update(path.read_bytes())
    cache = Path(tempfile.gettempdir()) / "loadspec-realapps-cache"
    cache.mkdir(exist_ok=True)
    template = cache / f"{name}-{digest.hexdigest()[:16]}.sqlite3"
    with open(cache / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two starts at once build the template once
        if template.exists():
            shutil.copy(template, database)
        else:
            _build(prepare)
            shutil.copy(database, template)
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.core.wsgi import get_wsgi_application

    print(f"database {database}; user {USERNAME} / {PASSWORD}", flush=True)
    serve(StaticFilesHandler(get_wsgi_application()), folder, args.port)


def _build(prepare: Callable[[], None] | None) -> None:
    """Migrate the (new, empty) database, create the superuser and run the project's `prepare`."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connections

    call_command("migrate", run_syncdb=True, verbosity=0)
    get_user_model().objects.create_superuser(USERNAME, "admin@example.com", PASSWORD)
    if prepare is not None:
        prepare()
    connections.close_all()
