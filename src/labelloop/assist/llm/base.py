"""The provider interface and the HTTP plumbing every provider shares.

Providers talk to REST APIs through a lean HTTP/1.1 client (``http.py``; httpx when a proxy is set) so
the core installs light and retries are ours:
429 and 5xx are retried with exponential backoff and full jitter, honouring ``Retry-After`` up to the
longest wait we accept (``max(backoff_max, timeout)``: 60 s by default, so a usual ``Retry-After: 60`` is
waited out; a server asking for more than that fails that request at once);
timeouts and dropped connections are retried too, a bounded number of times.

Every field of a reply is untrusted: the text must be text, token counts sane integers (else 0), the model
version a short string (else ours); and the provider's key, or any other configured secret, echoed back in
a reply is redacted from everything we keep or print (:meth:`Provider.redact`, the rule of
:mod:`labelloop.secrets` that the MCP server applies too).
"""

from __future__ import annotations

import asyncio
import contextvars
import email.utils
import json
import math
import os
import random
import ssl
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

from labelloop.assist.llm.http import (
    HTTPClient,
    HttpxClient,
    JSONLimitError,
    RequestTimeout,
    Response,
    ResponseTooLarge,
    TransportError,
    make_client,
    proxied,
)
from labelloop.errors import LabelloopError, ParameterError, ProviderError
from labelloop.secrets import known_secrets, redact

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


#: The most tokens one call can be credited with; a larger or malformed count is recorded as 0.
MAX_TOKENS_PER_CALL = 10_000_000
#: The longest model version kept from a reply.
MAX_MODEL_VERSION_CHARS = 200

#: The connection pool of the current worker task, when it has its own (see ``Provider.new_client``).
WORKER_CLIENT: contextvars.ContextVar[HTTPClient | HttpxClient | None] = contextvars.ContextVar(
    "worker_client", default=None)


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
    _secrets: tuple[str | None, list[str]] | None = field(default=None, repr=False)  # (api_key, what to redact)

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
            raise ParameterError("base_url", f"Provider {ParameterError.literal(repr(self.name))} needs a base URL; "
                                             "pass {param}.")
        if (self.api_key_env or self.key_env) and not self.api_key:
            raise LabelloopError(f"Provider {self.name!r} needs an API key; set {self.api_key_env or self.key_env}.")

    async def __aenter__(self) -> Provider:
        self.check_ready()
        self._secrets = None  # read the environment's secrets afresh for each run
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

    #: The batch API this provider's endpoint speaks (``openai``, ``anthropic``), or None.
    batch_api: ClassVar[str | None] = None

    def payload(self, system: str, messages: list[dict[str, str]], answer_schema: dict[str, Any]) -> dict[str, Any]:
        """The JSON body :meth:`complete` sends: a batch request carries the same."""
        raise NotImplementedError

    def headers(self) -> dict[str, str]:
        """The headers that carry the key (and API version) to :attr:`base_url`."""
        return {}

    def reply(self, body: dict[str, Any], url: str) -> ChatResult:
        """The answer in a reply body of this API (live or from a batch's results); ``url`` names its source."""
        raise NotImplementedError

    def redact(self, value: Any) -> Any:
        """``value`` with the provider's key and every secret of the environment (:mod:`labelloop.secrets`:
        ``HF_TOKEN``, ``LABEL_STUDIO_PASSWORD``, any ``*_API_KEY`` …) replaced, in strings, lists and dicts."""
        if self._secrets is None or self._secrets[0] != self.api_key:
            own = (self.api_key, *(os.environ.get(k) for k in (self.api_key_env, self.key_env) if k))
            self._secrets = (self.api_key, known_secrets(own))
        return redact(value, secrets=self._secrets[1])

    def result(self, text: str, model: Any, usage: Any, input_key: str, output_key: str) -> ChatResult:
        """A :class:`ChatResult` from a reply's untrusted fields: counts checked, model version vetted, redacted."""
        counts = usage if isinstance(usage, dict) else {}
        version = model if isinstance(model, str) and 0 < len(model) <= MAX_MODEL_VERSION_CHARS \
            and model.isprintable() else self.model
        return ChatResult(text=self.redact(text), model_version=self.redact(version),
                          input_tokens=_count(counts.get(input_key)), output_tokens=_count(counts.get(output_key)))

    @property
    def max_wait(self) -> float:
        """The longest ``Retry-After`` we honour: the backoff cap or the request timeout, whichever is longer.

        A server asking for more fails the request at once rather than holding a worker for it."""
        return max(0.0, self.backoff_max, self.timeout)

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
            except ResponseTooLarge as exc:  # the same reply again would be as large: not retried
                raise ProviderError(self.redact(f"Refused the reply from {url}: {exc.detail}.")) from None
            except TransportError as exc:
                last = f"cannot reach {url} ({exc})"
            except ValueError as exc:  # a URL or header that cannot be sent at all
                raise ProviderError(f"Cannot send the request to {url}: {exc}.", fatal=True) from None
            else:
                code = resp.status_code
                if code < 400:
                    try:
                        data = resp.json()
                    except JSONLimitError as exc:
                        raise ProviderError(f"{url} answered HTTP {code} with JSON that {exc}.") from None
                    except ValueError:  # not JSON, not UTF-8, or an integer past Python's digit limit
                        raise ProviderError(f"{url} answered HTTP {code} with a body that is not JSON.") from None
                    if not isinstance(data, dict):
                        raise ProviderError(f"{url} answered HTTP {code} with JSON that is not an object.")
                    return data
                if code in (401, 403):
                    raise ProviderError(f"The API key was refused by {url} (HTTP {code}).", fatal=True)
                if code == 429 or code >= 500:
                    last = f"{url} answered HTTP {code}: {_error_text(resp)}"
                    wait = _retry_after(resp.headers.get("retry-after"))
                else:
                    raise ProviderError(self.redact(f"{url} rejected the request (HTTP {code}): {_error_text(resp)}."),
                                        fatal=code == 404)
            if attempt + 1 == attempts:
                break
            if wait is not None and wait > self.max_wait:
                raise ProviderError(self.redact(
                    f"{url} answered HTTP {resp.status_code} and asked to retry after {_seconds(wait)} s, longer than "
                    f"the {self.max_wait:g} s we wait: {_error_text(resp)}."))
            self.stats.retries += 1
            if wait is None:
                wait = self._rng.uniform(0, min(self.backoff_max, self.backoff_base * 2**attempt))
            await asyncio.sleep(min(wait, self.max_wait))
        raise ProviderError(self.redact(f"Gave up after {attempts} attempts: {last}."))


def _count(value: Any) -> int:
    """A token count from a reply: a non-negative integer within reason, else 0."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_TOKENS_PER_CALL:
        return value
    return 0


def _seconds(wait: float) -> str:
    return str(math.ceil(wait)) if wait < 1e12 else f"{wait:.3g}"


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date); ``None`` when unreadable."""
    if not value:
        return None
    value = value.strip()
    if len(value) > 64:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    try:
        return max(0.0, when.timestamp() - time.time())
    except (OverflowError, ValueError, OSError):
        return None


def _error_text(resp: Response) -> str:
    """The error message of a failed call, one line of at most 300 characters, whatever the body holds."""
    try:
        body = resp.json()
    except ValueError:
        return _one_line(resp.text[:200]) or _one_line(resp.reason_phrase[:200])
    if isinstance(body, dict):
        body = body.get("error", body)
    if isinstance(body, dict) and isinstance(body.get("message"), str) and body["message"]:
        body = body["message"]
    text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
    return _one_line(text[:1000])[:300]


def _one_line(text: str) -> str:
    return " ".join("".join(c if c.isprintable() else " " for c in text).split())
