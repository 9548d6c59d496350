"""Record `jupyter.har`: one session against Jupyter Server's login page and its contents API.

Usage: `.venv/bin/python tests/realapps/jupyter/record.py` (needs /usr/bin/chromium and `playwright`).
The session: open /login, log in with the password (redirected to /api/status), then, from that
page, the calls JupyterLab's file browser makes with `fetch()`: list the root folder (with a
`_=<Date.now()>` cache-buster), create an untitled notebook (the server picks its name), save it
with one code cell (a PUT whose JSON body is sent as `text/plain`, fetch's default for a string),
open it, create a second one and delete it, then log out. Every non-GET request carries
`X-XSRFToken`, read by the page from the `_xsrf` cookie, as JupyterLab does.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from common import record  # noqa: E402

PASSWORD = "Secr3t-pass"

SESSION = """async () => {
  const xsrf = document.cookie.split("; ").find(c => c.startsWith("_xsrf=")).slice(6);
  const call = async (method, url, body, type) => {
    const headers = {"X-XSRFToken": xsrf};
    if (type) headers["Content-Type"] = type;
    const r = await fetch(url, {method, headers, body});
    if (!r.ok) throw new Error(method + " " + url + " -> " + r.status);
    return r.status === 204 ? null : r.json();
  };
  await call("GET", "/api/contents?content=1&_=" + Date.now());
  const made = await call("POST", "/api/contents", JSON.stringify({type: "notebook"}), "application/json");
  const notebook = {nbformat: 4, nbformat_minor: 5, metadata: {}, cells: [
    {cell_type: "code", source: "print(6 * 7)", metadata: {}, outputs: [], execution_count: null, id: "c0ffee01"}]};
  await call("PUT", "/api/contents/" + made.path,
             JSON.stringify({type: "notebook", format: "json", content: notebook}));  // text/plain
  await call("GET", "/api/contents/" + made.path + "?content=1&_=" + Date.now());
  const scratch = await call("POST", "/api/contents", JSON.stringify({type: "notebook"}), "application/json");
  await call("DELETE", "/api/contents/" + scratch.path);
  return made.path;
}"""


def drive(page: Any, base: str) -> None:
    page.goto(base + "/login")
    page.fill("#password_input", PASSWORD)
    page.click("#login_submit")
    page.wait_for_url(re.compile(r"/api/status\??$"))
    page.evaluate(SESSION)
    page.goto(base + "/logout")


if __name__ == "__main__":
    # the API's JSON pages forbid scripts (CSP default-src 'none'); JupyterLab's own page would run them
    record(HERE / "start.py", drive, HERE / "jupyter.har", bypass_csp=True)
