"""The provider interface and the HTTP plumbing every provider shares.

Providers talk to REST APIs through a lean HTTP/1.1 client (``http.py``; httpx when a proxy is set) so
the core installs light and retries are ours:
429 and 5xx are retried with exponential backoff and full jitter, honouring ``Retry-After``;
timeouts and dropped connections are retried too, a bounded number of times.
"""

from __future__ import annotations

import asyncio
import contextvars
import email.utils
import json
import os
import random
import ssl
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

from labelloop.assist.llm.http import (
    HTTPClient,
    HttpxClient,
    RequestTimeout,
    Response,
    TransportError,
    make_client,
    proxied,
)
from labelloop.errors import LabelloopError

#: USD per million tokens (input, output); cost is only reported for models listed here.
PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "claude-3-5-haiku-latest": (0.80, 4.00),
    "claude-sonnet-4-20250514": (3.00, 15.00),
    "moonshot-v1-8k": (0.20, 2.00),
}


#: The connection pool of the current worker task, when it has its own (see ``Provider.new_client``).
WORKER_CLIENT: contextvars.ContextVar[HTTPClient | HttpxClient | None] = contextvars.ContextVar(
    "worker_client", default=None)


class ProviderError(LabelloopError):
    """A provider call that failed. ``fatal`` errors (bad key, unknown model) stop the whole run."""

    def __init__(self, message: str, *, fatal: bool = False) -> None:
        super().__init__(message)
        self.fatal = fatal


@dataclass
class ChatResult:
    """One answer: its text (JSON for us), the model version that wrote it and the tokens it cost."""

    text: str
    model_version: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass
class CallStats:
    requests: int = 0
    retries: int = 0
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass
class Provider:
    """An LLM endpoint. Use as ``async with provider:`` so one connection pool serves every call."""

    name: str = "provider"
    model: str = ""
    base_url: str = ""
    api_key: str | None = None
    api_key_env: str | None = None
    temperature: float = 0.0
    timeout: float = 60.0
    max_retries: int = 4
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    max_tokens: int = 1024
    concurrency: int = 16
    seed: int = 0
    stats: CallStats = field(default_factory=CallStats)
    _client: HTTPClient | HttpxClient | None = field(default=None, repr=False)
    _rng: random.Random = field(default_factory=random.Random, repr=False)
    _ssl: ssl.SSLContext | None = field(default=None, repr=False)

    default_model: ClassVar[str] = ""
    default_base_url: ClassVar[str] = ""
    key_env: ClassVar[str | None] = None

    def __post_init__(self) -> None:
        self.model = self.model or self.default_model
        self.base_url = (self.base_url or self.default_base_url).rstrip("/")
        if self.api_key is None and (self.api_key_env or self.key_env):
            self.api_key = os.environ.get(self.api_key_env or self.key_env or "")
        self._rng = random.Random(self.seed)

    @property
    def annotator(self) -> str:
        return f"llm:{self.name}/{self.model}"

    def check_ready(self) -> None:
        if not self.base_url:
            raise LabelloopError(f"Provider {self.name!r} needs a base URL; pass --base-url.")
        if (self.api_key_env or self.key_env) and not self.api_key:
            raise LabelloopError(f"Provider {self.name!r} needs an API key; set {self.api_key_env or self.key_env}.")

    async def __aenter__(self) -> Provider:
        self.check_ready()
        self._client = self.new_client(self.concurrency)
        return self

    def new_client(self, connections: int = 1) -> HTTPClient | HttpxClient:
        """A keep-alive connection pool; workers each take a one-connection pool of their own."""
        if self._ssl is None and (self.base_url.lower().startswith("https") or proxied(self.base_url)):
            self._ssl = ssl.create_default_context()  # loading the CA store costs ~40 ms: once per provider
        return make_client(self.base_url, timeout=self.timeout, max_connections=connections, ssl_context=self._ssl)

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def complete(self, system: str, messages: list[dict[str, str]], answer_schema: dict[str, Any]) -> ChatResult:
        """Ask for one JSON answer to ``messages`` (user/assistant turns)."""
        raise NotImplementedError

    def cost(self, input_tokens: int, output_tokens: int) -> float | None:
        price = PRICES.get(self.model)
        if price is None:
            return None
        return (input_tokens * price[0] + output_tokens * price[1]) / 1e6

    # ------------------------------------------------------------------ HTTP with retries
    async def post_json(self, url: str, payload: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        client = WORKER_CLIENT.get() or self._client
        if client is None:
            raise RuntimeError("use the provider as `async with provider:`")
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
        attempts = self.max_retries + 1
        last = ""
        for attempt in range(attempts):
            wait: float | None = None
            try:
                self.stats.requests += 1
                resp = await client.post(url, body, headers)
            except RequestTimeout:
                last = f"no answer from {url} within {self.timeout:g} s"
            except TransportError as exc:
                last = f"cannot reach {url} ({exc})"
            except ValueError as exc:  # a URL or header that cannot be sent at all
                raise ProviderError(f"Cannot send the request to {url}: {exc}.", fatal=True) from None
            else:
                if resp.status_code < 400:
                    try:
                        return resp.json()
                    except (json.JSONDecodeError, UnicodeDecodeError):
                        raise ProviderError(f"{url} answered HTTP {resp.status_code} with a body that is not "
                                            "JSON.") from None
                if resp.status_code in (401, 403):
                    raise ProviderError(f"The API key was refused by {url} (HTTP {resp.status_code}).", fatal=True)
                if resp.status_code == 429 or resp.status_code >= 500:
                    last = f"{url} answered HTTP {resp.status_code}: {_error_text(resp)}"
                    wait = _retry_after(resp.headers.get("retry-after"))
                else:
                    fatal = resp.status_code == 404
                    raise ProviderError(f"{url} rejected the request (HTTP {resp.status_code}): "
                                        f"{_error_text(resp)}.", fatal=fatal)
            if attempt + 1 == attempts:
                break
            self.stats.retries += 1
            if wait is None:
                wait = self._rng.uniform(0, min(self.backoff_max, self.backoff_base * 2**attempt))
            await asyncio.sleep(min(wait, self.backoff_max * 4))
        raise ProviderError(f"Gave up after {attempts} attempts: {last}.")


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _error_text(resp: Response) -> str:
    try:
        body = resp.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return resp.text[:200].strip() or resp.reason_phrase
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            return str(err.get("message") or err)[:300]
        return str(err)[:300]
    return str(body)[:300]
