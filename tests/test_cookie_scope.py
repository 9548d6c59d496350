"""The scenario option `cookies: user | iteration`: how long a user's cookie jar lives, seen by the server.

A user runs three iterations of `GET /check` then `GET /login` (which sets the cookie `sid`)
against the recording server of conftest.py; the server's own record says whether each `/check`
carried a cookie. With `user` (the default) iterations 2 and 3 send the cookie of the iteration
before; with `iteration` none does, except the cookie a `setup` step set, which every iteration
starts with.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

SPEC = """
version: 1
name: cookie-scope
scenarios:
  - name: shopper
{cookies}{setup}    steps:
      - get: /check
      - get: /login
"""
SETUP = """    setup:
      - get: /login
"""


def cookies_on_check(recording_server: Any) -> list[str]:
    return [r.headers.get("cookie", "") for r in recording_server.requests if r.path == "/check"]


@pytest.mark.parametrize("scope", [None, "user", "iteration"])
def test_cookie_jar_lives_for_the_user_or_for_one_iteration(scope: str | None, recording_server: Any, cli: Any,
                                                            tmp_path: Path) -> None:
    spec = tmp_path / "cookies.yaml"
    spec.write_text(SPEC.format(cookies=f"    cookies: {scope}\n" if scope else "", setup=""), encoding="utf-8")
    result = cli("run", str(spec), "--host", recording_server.url, "-u", "1", "--iterations", "3", "-q")
    assert result.code == 0, result.text
    sent = cookies_on_check(recording_server)
    tokens = recording_server.tokens
    assert len(sent) == 3 and len(tokens) == 3
    if scope == "iteration":
        assert sent == ["", "", ""]
    else:
        assert sent == ["", f"sid={tokens[0]}", f"sid={tokens[1]}"]


@pytest.mark.parametrize("client", ["wire", "fast", "requests"])
def test_each_iteration_starts_with_the_cookies_of_the_setup(client: str, recording_server: Any, cli: Any,
                                                            tmp_path: Path) -> None:
    spec = tmp_path / "cookies.yaml"
    spec.write_text(SPEC.format(cookies="    cookies: iteration\n", setup=SETUP), encoding="utf-8")
    result = cli("run", str(spec), "--host", recording_server.url, "-u", "1", "--iterations", "3", "-q",
                 "--client", client)
    assert result.code == 0, result.text
    setup_token = recording_server.tokens[0]
    assert len(recording_server.tokens) == 4  # the setup's login and one per iteration
    assert cookies_on_check(recording_server) == [f"sid={setup_token}"] * 3


def test_validate_rejects_an_unknown_cookie_scope(cli: Any, tmp_path: Path) -> None:
    spec = tmp_path / "cookies.yaml"
    spec.write_text(SPEC.format(cookies="    cookies: forever\n", setup=""), encoding="utf-8")
    result = cli("validate", str(spec), summary=False)
    assert result.code != 0
    assert "cookies" in result.text and "forever" in result.text
