"""Record `drf.har`: one session of the shop's single-page client against its DRF token API.

Usage: `.venv/bin/python tests/realapps/drf/record.py` (needs /usr/bin/chromium and `playwright`).
The session: open /, log in (fetch POST /api/token/ with JSON, the token then goes in
`Authorization: Token …`), list items (with a `?_=<Date.now()>` cache-buster), add an item (its
`client_ref` is `crypto.randomUUID()`), read it back, rename it (PATCH), add a second item and
delete it (DELETE → 204). Only document and fetch requests of the app are kept.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from common import record  # noqa: E402
from djangoapp import PASSWORD, USERNAME  # noqa: E402


def drive(page: Any, base: str) -> None:
    page.goto(base + "/")
    page.fill("#username", USERNAME)
    page.fill("#password", PASSWORD)
    with page.expect_response("**/api/items/?_=*"):
        page.click("button[type=submit]")
    page.fill("#name", "Teapot")
    with page.expect_response("**/api/items/?_=*"):
        page.click("#add")
    page.fill("#name", "Teapot (blue)")
    with page.expect_response("**/api/items/?_=*"):
        page.click("#rename")
    page.fill("#name", "Spare lid")
    with page.expect_response("**/api/items/?_=*"):
        page.click("#add")
    with page.expect_response("**/api/items/?_=*"):
        page.click("#remove")
    page.wait_for_timeout(300)


if __name__ == "__main__":
    record(HERE / "start.py", drive, HERE / "drf.har")
