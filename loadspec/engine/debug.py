"""`loadspec debug`: one user per scenario runs one iteration, and every request is shown.

For each request: method, URL, status and time, the request headers and body, each assertion's
result, the values captured, and the first part of the response body on failure. It runs the same
compiled users as a load test (no separate code path), with a tracer attached. Credentials are
masked (`***`) in everything it prints (`lang.credentials.Masker`), unless asked to show them.
`observe` runs the same iteration silently and hands back what each request sent and got: the
replay check of a HAR recording (`sources.har.replaycheck` judges it).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import IO, Any
from urllib.parse import unquote, urlencode

from locust.env import Environment
from locust.exception import StopTest, StopUser

from ..lang.credentials import Masker
from ..results.runlog import GROUP_METHOD
from ..sources.har.replaycheck import Observed
from .compiler import CompiledTest


def _short(value: Any, limit: int = 200) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= limit else text[:limit] + "…"


def _url(data: dict[str, Any]) -> str:
    """The URL as sent: the path and its query parameters (`/anything?tenant=acme`)."""
    url, params = unquote(str(data.get("url"))), data.get("params") or {}  # readable: `{"a": 1}`, not `%7B…`
    if not params:
        return url
    return url + ("&" if "?" in url else "?") + urlencode(params, doseq=True)


def run_debug(test: CompiledTest, out: IO[str], masker: Masker | None = None) -> int:
    """Run each scenario once with one user; return 0 when every request passed, else 1. `masker`
    hides credentials in what is printed (by default the spec's recorded ones and secret-named
    headers, fields and variables)."""
    failed = 0
    mask = masker or Masker(test.spec.recorded_secrets.values())

    def show(value: Any, limit: int = 200) -> str:  # masked before it is cut: no half secret is shown
        return _short(mask.text(value if isinstance(value, str) else json.dumps(value, default=str)), limit)

    def on_request(request_type: str, name: str, response_time: float, exception: Any = None, **kwargs: Any) -> None:
        nonlocal failed
        if exception is not None:
            failed += 1
            if request_type == GROUP_METHOD:
                out.write(f"  group {name}: FAILED ({response_time:.0f}ms)\n")
            elif kwargs.get("url") is None:  # never sent (a variable missing); sent ones are traced below
                out.write(f"  ✗ {request_type} {name}: {mask.text(str(exception))}\n")
        elif request_type == GROUP_METHOD:
            out.write(f"  group {name}: ok ({response_time:.0f}ms)\n")

    seen: dict[str, Any] = {}
    for user_class in test.user_classes:
        seen.clear()
        env = Environment(user_classes=[user_class], host=test.host, catch_exceptions=False)
        env.events.request.add_listener(on_request)
        out.write(f"scenario {user_class.scenario_name} ({user_class.__name__})\n")

        def trace(event: str, data: dict[str, Any]) -> None:
            if event != "response":
                out.write(f"  ✗ {data['step']}: {data['method']} {mask.url(_url(data))} — "
                          f"{mask.text(str(data.get('error')))}\n")
                return
            shown = {key: mask.variable(key, value) for key, value in data["variables"].items()}  # learns secrets
            mark = "✓" if data["failure"] is None else "✗"
            out.write(f"  {mark} {data['step']}: {data['method']} {mask.url(_url(data))} -> {data['status']} "
                      f"({data['ms']:.0f}ms)\n")
            for key, value in mask.headers(data["request_headers"]).items():
                out.write(f"      > {key}: {show(value, 120)}\n")
            if data["request_body"] is not None:
                out.write(f"      > body: {show(mask.data(data['request_body']))}\n")
            for label, problem in data["checks"]:
                out.write(f"      {'✓' if problem is None else '✗'} {mask.text(label)}"
                          f"{'' if problem is None else '  → ' + mask.text(problem.split(': ', 1)[-1])}\n")
            for key, value in data["variables"].items():
                if key not in ("iteration", "user_id") and seen.get(key, object()) != value:
                    out.write(f"      = {key}: {show(shown[key], 120)}\n")
            seen.clear()
            seen.update(data["variables"])
            if data["failure"] is not None:
                out.write(f"      failure: {mask.text(data['failure'])}\n"
                          f"      < body: {show(mask.body_text(data['body']), 300)}\n")

        stopped = _one_iteration(user_class, env, trace, lambda user: seen.update(user.variables))
        if stopped is not None:
            out.write(f"  user stopped: {stopped}\n")
    out.write(f"\n{'all requests passed' if not failed else f'{failed} request(s) failed'}\n")
    return 0 if not failed else 1


def _one_iteration(user_class: Any, env: Environment, trace: Callable[[str, dict[str, Any]], None],
                   started: Callable[[Any], None] = lambda user: None) -> str | None:
    """One user of `user_class` runs one iteration with `trace` attached; returns why the user
    stopped early (a stop_user or stop_test outcome), or None."""
    user_class.tracer = staticmethod(trace)
    user = user_class(env)
    try:
        user.on_start()
        started(user)
        user.run_iteration()
    except (StopUser, StopTest) as exc:
        return str(exc or "stop_user")
    finally:
        user_class.tracer = None
    return None


def observe(test: CompiledTest) -> dict[str, list[Observed]]:
    """Run each scenario once with one user, printing nothing; every request it made (or could not
    make), in order, by scenario name."""
    found: dict[str, list[Observed]] = {}
    for user_class in test.user_classes:
        seen = found.setdefault(user_class.scenario_name, [])

        def on_request(request_type: str, name: str, response_time: float, exception: Any = None,
                       seen: list[Observed] = seen, **kwargs: Any) -> None:
            if exception is not None and request_type != GROUP_METHOD and kwargs.get("url") is None:
                seen.append(Observed(name, request_type, "", None, error=str(exception).removeprefix(f"{name}: ")))

        def trace(event: str, data: dict[str, Any], seen: list[Observed] = seen) -> None:
            if event != "response":
                error = str(data.get("error")).removeprefix(f"{data['step']}: ")
                seen.append(Observed(data["step"], data["method"], _url(data), None, error=error))
                return
            seen.append(Observed(data["step"], data["method"], _url(data), data["status"], failure=data["failure"],
                                 body=data["request_body"], variables=dict(data["variables"]),
                                 response=data["body"], headers=data["response_headers"],
                                 text=data["response_text"]))

        env = Environment(user_classes=[user_class], host=test.host, catch_exceptions=False)
        env.events.request.add_listener(on_request)
        _one_iteration(user_class, env, trace)
    return found


__all__ = ["observe", "run_debug"]
