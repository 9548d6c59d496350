"""The replay check of HAR recordings, end to end: import, replay one iteration, judge, repair,
and replay the repaired spec once more.

`loadspec convert x.har --check URL` and `loadspec run x.har` (before its load) call
`replay_check`. One user runs one iteration of each scenario against the live target (`observe`),
`sources.har.replaycheck` judges it against the recording, and the recording is imported again
with what the check proved: the false correlations left out (`HarOptions.constants`) and the
values that changed live correlated whatever their shape (`HarOptions.dynamic`). When that changed
the spec, the repaired spec is replayed once more (one extra iteration, never more), so that the
verdict describes what will run. It prints nothing: the caller shows the report.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from ..lang.credentials import Masker
from ..model import RequestStep
from ..sources.dispatch import with_recorded_secrets
from ..sources.gate import check_imported
from ..sources.har.entries import HarImport, HarOptions
from ..sources.har.importer import import_har
from ..sources.har.replaycheck import Added, CheckResult, added_variables, judge, render
from ..writers.yaml import env_names
from .compiler import compile_spec
from .debug import observe


@dataclass
class ReplayCheck:
    """A replay check done: the repaired import, the HAR options that repair it, the judgement of
    the first iteration, of the second one when the repair changed the spec, and the report
    (credentials masked)."""

    recorded: HarImport  # the import made with `options`
    options: HarOptions
    result: CheckResult  # the first iteration, of the spec as imported
    report: str
    final: CheckResult | None = None  # the second iteration, of the repaired spec (None: nothing repaired)
    added: list[Added] = field(default_factory=list)

    @property
    def repaired(self) -> bool:
        """The check changed the spec: variables added or dropped."""
        return self.final is not None

    @property
    def passed(self) -> bool:
        """Every step of the spec that will run answered as recorded."""
        return (self.final or self.result).passed


def _iteration(imported: HarImport, files: Sequence[str], env: Mapping[str, str], host: str | None,
               client: str | None) -> tuple[CheckResult, Masker]:
    """One user, one iteration of each scenario of `imported` (think times left out), judged."""
    spec = copy.deepcopy(imported.spec)
    spec.recorded_secrets = dict(imported.secrets)
    for scenario in spec.scenarios:
        for step in scenario.steps:
            if isinstance(step, RequestStep):
                step.think_time = None  # one iteration, observed: no pauses
    check_imported(spec, files[0])
    secrets_env = with_recorded_secrets(spec, env)
    test = compile_spec(spec, env=secrets_env, host=host, client=client, iterations=1)
    result = judge(imported.spec, imported.recorded, observe(test), test.host)
    return result, Masker.for_environment(secrets_env, env_names(spec), spec.recorded_secrets)


def replay_check(files: Sequence[str], options: HarOptions, *, host: str | None, env: Mapping[str, str],
                 client: str | None = None) -> ReplayCheck:
    """Import the recordings, replay each scenario once with one user against `host`, compare every
    response with the recording and import again with what that proved (false correlations dropped,
    values that changed live added); when the spec changed, replay the repaired one once more."""
    first = import_har(list(files), options)
    result, masker = _iteration(first, files, env, host, client)
    if not result.constants and not result.dynamic:
        return ReplayCheck(first, options, result, render(result, masker))
    options = replace(options, constants=result.constants, dynamic=result.dynamic)
    repaired = import_har(list(files), options)
    added = added_variables(first, repaired)
    if not added and not result.constants:
        return ReplayCheck(repaired, options, result, render(result, masker))
    final, _ = _iteration(repaired, files, env, host, client)
    return ReplayCheck(repaired, options, result, render(result, masker, added=added, final=final), final, added)


__all__ = ["ReplayCheck", "replay_check"]
