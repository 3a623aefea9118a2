"""Which values are secrets, and their redaction: one rule for the dataset, the cache and the MCP server.

A secret is a value of one of :data:`SECRET_ENVS`, of any environment variable whose name ends in
``API_KEY``, ``TOKEN``, ``SECRET`` or ``PASSWORD`` (:data:`SECRET_NAME`: ``HF_TOKEN``,
``LABEL_STUDIO_PASSWORD``, ``MY_SERVICE_SECRET`` …), or one the caller knows of (a provider's key, Label
Studio credentials read from disk), at least :data:`MIN_SECRET_CHARS` long. Wherever one of them shows up
(a provider echoing the key, an error quoting a token), it reads :data:`REDACTED`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

#: Environment variables holding secrets, whatever :data:`SECRET_NAME` says of their names.
SECRET_ENVS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "MOONSHOT_API_KEY", "LABEL_STUDIO_API_KEY",
               "LABEL_STUDIO_TOKEN", "LABEL_STUDIO_PASSWORD", "HF_TOKEN")
#: Any environment variable named like this holds a secret (matched on the upper-cased name).
SECRET_NAME = re.compile(r"(API_KEY|TOKEN|SECRET|PASSWORD)$")
#: What a redacted secret reads as.
REDACTED = "[redacted]"
#: Shorter values are not redacted: a test key like "x" would blank every x in the data.
MIN_SECRET_CHARS = 8


def is_secret_name(name: str) -> bool:
    """Whether the environment variable ``name`` holds a secret."""
    return name in SECRET_ENVS or SECRET_NAME.search(name.upper()) is not None


def known_secrets(extra: Iterable[str | None] = (), environ: Mapping[str, str] | None = None) -> list[str]:
    """Every secret value: the environment's (``os.environ`` unless given) and ``extra``, each at least
    :data:`MIN_SECRET_CHARS` long, longest first (so a secret containing another is replaced whole)."""
    env = os.environ if environ is None else environ
    found = {v for k, v in env.items() if v and is_secret_name(k)}
    found.update(v for v in extra if v)
    return sorted((v for v in found if len(v) >= MIN_SECRET_CHARS), key=lambda v: (-len(v), v))


def redact(value: Any, extra: Iterable[str | None] = (), *, secrets: list[str] | None = None) -> Any:
    """``value`` with every secret replaced by :data:`REDACTED`, in strings and in the keys and items of lists
    tuples and dicts; anything else as is. ``secrets`` is a list from :func:`known_secrets`
    computed once by a caller that redacts often; without it the environment is read now."""
    found = known_secrets(extra) if secrets is None else secrets
    return _redact(value, found) if found else value


def _redact(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, list):
        return [_redact(v, secrets) for v in value]
    if isinstance(value, tuple):
        return tuple(_redact(v, secrets) for v in value)
    if isinstance(value, dict):
        return {_redact(k, secrets): _redact(v, secrets) for k, v in value.items()}
    return value
