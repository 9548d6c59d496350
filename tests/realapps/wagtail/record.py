"""Record `wagtail.har`: one editor session in Wagtail's admin, driven in headless Chromium.

Usage: `.venv/bin/python tests/realapps/wagtail/record.py` (needs /usr/bin/chromium and `playwright`).
The session: open /admin/ (redirected to the login form), log in, open the Adverts snippet list,
add an advert and "Save draft" (redirected to its edit page: the new id is in the Location),
change the text and publish it, add a second advert, save it as a draft and delete it
(confirmation page), log out. Wagtail's editor also talks to the server by itself: it pings
/admin/editing-sessions/ with the loaded revision id and timestamp, and may autosave. Scripts,
styles, images, fonts and /static/ files are left out of the HAR at record time.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from common import record  # noqa: E402
from djangoapp import PASSWORD, USERNAME  # noqa: E402

LIST = "/admin/snippets/cms/advert/"


def add_draft(page: Any, text: str, url: str) -> None:
    page.click(f"a[href='{LIST}add/']")
    page.wait_for_url(re.compile(r"/add/$"))
    page.fill("#id_text", text)
    page.fill("#id_url", url)
    page.click("button[type=submit]:has-text('Save draft')")
    page.wait_for_url(re.compile(r"/edit/\d+/$"))


def drive(page: Any, base: str) -> None:
    page.goto(base + "/admin/")
    page.fill("#id_username", USERNAME)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))
    page.goto(base + LIST)
    add_draft(page, "Spring sale", "https://shop.example.com/sale")
    page.fill("#id_text", "Spring sale: 20% off")
    page.click("footer .w-dropdown__toggle")
    page.click("button[name=action-publish]")
    page.wait_for_url(re.compile(re.escape(LIST) + "$"))
    add_draft(page, "Old banner", "https://shop.example.com/old")
    page.click("header .w-dropdown__toggle")
    page.click("a[href*='/delete/']")
    page.wait_for_url(re.compile(r"/delete/\d+/$"))
    page.click("button[type=submit]:has-text('Yes, delete')")
    page.wait_for_url(re.compile(re.escape(LIST) + "$"))
    page.click(".sidebar-footer__account")
    page.click("form[action='/admin/logout/'] button")
    page.wait_for_url(re.compile(r"/login/"))


if __name__ == "__main__":
    record(HERE / "start.py", drive, HERE / "wagtail.har")
