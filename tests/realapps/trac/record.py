"""Record `trac.har`: one session in Trac, driven in headless Chromium.

Usage: `.venv/bin/python tests/realapps/trac/record.py` (needs /usr/bin/chromium and `playwright`).
The session: open the start page, log in (HTTP Basic on /login; Chromium answers the 401 challenge
with the credentials), open "New Ticket", create a ticket, comment on it, resolve it as fixed,
create a second ticket and delete it (tracopt's ticket deleter: confirmation page, then delete),
log out. Trac's forms carry `__FORM_TOKEN` (also the `trac_form_token` cookie) and, on the ticket
page, `view_time` and `start_time` (microsecond timestamps of the ticket's last change, which
Trac uses to detect mid-air collisions). Static files are left out of the HAR at record time.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from common import record  # noqa: E402

USERNAME = "admin"
PASSWORD = "Secr3t-pass"


def new_ticket(page: Any, summary: str, description: str) -> None:
    page.click("#mainnav a:text('New Ticket')")
    page.wait_for_selector("#field-summary")
    page.fill("#field-summary", summary)
    page.fill("#field-description", description)
    page.click("input[name=submit]")
    page.wait_for_url(re.compile(r"/ticket/\d+(#ticket)?$"))


def drive(page: Any, base: str) -> None:
    page.goto(base + "/")
    page.click("#metanav a:text('Login')")
    page.wait_for_selector("#metanav :text('logged in as')")
    new_ticket(page, "Printer on fire", "Smoke coming out of the tray.")
    page.fill("#comment", "Looking into it.")
    page.click("#propertyform input[name=submit]")
    page.wait_for_url(re.compile(r"#comment:1$"))
    page.eval_on_selector("#action_resolve", "radio => radio.click()")  # in the folded "Modify Ticket" box
    page.fill("#comment", "Fire is out.")
    page.click("#propertyform input[name=submit]")
    page.wait_for_url(re.compile(r"#comment:2$"))
    new_ticket(page, "Duplicate report", "Same printer again.")
    page.click("input.trac-delete[title='Delete ticket']")
    page.wait_for_url(re.compile(r"action=delete"))
    page.click("#delete-confirm input[value='Delete ticket']")
    page.wait_for_load_state()
    page.click("#logout button")
    page.wait_for_load_state()


if __name__ == "__main__":
    record(HERE / "start.py", drive, HERE / "trac.har", http_credentials={"username": USERNAME, "password": PASSWORD},
           expected=r"401 /login|404 /chrome/site/.*|404 /favicon\.ico")  # the Basic challenge; no logo
