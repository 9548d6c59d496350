"""Record `djadmin.har`: one admin session in Django's own admin, driven in headless Chromium.

Usage: `.venv/bin/python tests/realapps/djadmin/record.py` (needs /usr/bin/chromium and the
`playwright` package; `playwright install` is never needed). The session: open /admin/ (redirected
to the login form), log in, open the notes list, add a note with "Save and continue editing",
edit it (new title, tick done) and save, add a second note, search for it, open it, delete it
(confirmation page, "Yes, I'm sure"), log out. Static files are left out of the HAR at record time.
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


def drive(page: Any, base: str) -> None:
    page.goto(base + "/admin/")
    page.fill("#id_username", USERNAME)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/(\?|$)"))
    page.click("a[href='/admin/notes/note/']")
    page.wait_for_url(re.compile(r"/admin/notes/note/(\?|$)"))
    page.click(".object-tools a.addlink")
    page.wait_for_url(re.compile(r"/add/(\?|$)"))
    page.fill("#id_title", "Shopping list")
    page.fill("#id_body", "milk, eggs")
    page.click("input[name=_continue]")
    page.wait_for_url(re.compile(r"/change/(\?|$)"))
    page.fill("#id_title", "Shopping list (edited)")
    page.check("#id_done")
    page.click("input[name=_save]")
    page.wait_for_url(re.compile(r"/admin/notes/note/(\?|$)"))
    page.click(".object-tools a.addlink")
    page.wait_for_url(re.compile(r"/add/(\?|$)"))
    page.fill("#id_title", "Scratch note")
    page.click("input[name=_save]")
    page.wait_for_url(re.compile(r"/admin/notes/note/(\?|$)"))
    page.fill("#searchbar", "Scratch")
    page.click("#changelist-search input[type=submit]")
    page.wait_for_url(re.compile(r"q=Scratch"))
    page.click("#result_list a:text('Scratch note')")
    page.wait_for_url(re.compile(r"/change/(\?|$)"))
    page.click(".submit-row a.deletelink")
    page.wait_for_url(re.compile(r"/delete/(\?|$)"))
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/notes/note/(\?|$)"))
    page.click("#logout-form button")
    page.wait_for_load_state()


if __name__ == "__main__":
    record(HERE / "start.py", drive, HERE / "djadmin.har")
