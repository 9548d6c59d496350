"""The credentials a draft request supplies (a password field, an `X-Api-Key` header, a password
inside a JSON body) become `{{ env.NAME }}` templates; the recorded values go to the recording's
`SecretRegistry`, never into the spec. What counts as a credential is `lang.credentials`' call;
this module only rewrites drafts. No I/O.
"""

from __future__ import annotations

from typing import Any

from ...lang.credentials import SecretRegistry, env_template, is_supplied_secret_header, is_supplied_secret_key
from .drafts import DraftRequest


def env_secrets(draft: DraftRequest, secrets: SecretRegistry) -> None:
    """Replace the credentials `draft` sends (headers, query, form, JSON; again inside a raw body)."""
    label = draft.label
    secret_values: dict[str, str] = {}
    for header in draft.headers:
        name, value = header
        if is_supplied_secret_header(name) and "{{" not in value and value:
            header[1] = env_template(secrets.name_for(name, value, f"header {name} of {label}"))
            secret_values[value] = header[1]
    _pair_secrets(draft.params, "query", label, secret_values, secrets)
    if draft.body_kind == "form":
        _pair_secrets(draft.body, "form", label, secret_values, secrets)
    elif draft.body_kind == "json":
        draft.body = _json_secrets(draft.body, label, secret_values, "", secrets)
    if secret_values and draft.body_kind == "raw" and isinstance(draft.body, str):
        for value, template in secret_values.items():
            if len(value) >= 4:
                draft.body = draft.body.replace(value, template)


def _pair_secrets(pairs: list[list[Any]], kind: str, label: str, found: dict[str, str],
                  secrets: SecretRegistry) -> None:
    """Password-like query parameters or form fields (`kind` query | form) become env templates."""
    for pair in pairs:
        key, value = str(pair[0]), pair[1]
        if is_supplied_secret_key(key) and isinstance(value, str) and value and "{{" not in value:
            found[value] = env_template(secrets.name_for(key, value, f"{kind} {key} of {label}"))
            pair[1] = found[value]


def _json_secrets(value: Any, label: str, found: dict[str, str], key: str, secrets: SecretRegistry) -> Any:
    if isinstance(value, dict):
        return {k: _json_secrets(v, label, found, str(k), secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_secrets(v, label, found, key, secrets) for v in value]
    if isinstance(value, str) and value and key and is_supplied_secret_key(key) and "{{" not in value:
        found[value] = env_template(secrets.name_for(key, value, f"JSON {key} of {label}"))
        return found[value]
    return value


__all__ = ["env_secrets"]
