"""The providers' batch APIs, at half the price of live calls: what is sent, polled and read back.

- **OpenAI** (and servers that copy it): requests are lines of a JSONL file (``custom_id``, ``method``,
  ``url`` = ``/v1/chat/completions``, ``body``), at most 50,000 lines and 200 MB a file, uploaded to
  ``/files`` with purpose ``batch`` and made a batch (``/batches``, completion window ``24h``); the batch's
  ``status`` is polled, and its output and error files (``output_file_id``, ``error_file_id``) read back.
- **Anthropic** Message Batches: ``POST /v1/messages/batches`` with ``{"requests": [{custom_id, params}]}``, at
  most 100,000 requests or 256 MB; polled through ``processing_status`` (``ended``) and ``request_counts``;
  results are JSONL, one ``{custom_id, result: {type: succeeded | errored | expired | canceled}}`` a line.

Everything a batch server sends is untrusted, as a live reply is: JSON objects are read with bounds, result
files are streamed to disk up to :data:`MAX_RESULTS_BYTES`, each line parsed on its own (a line that cannot
be read is counted, never fatal), ids are checked before they go into a URL, and the key goes only to the
configured base URL (Anthropic's ``results_url`` is used only when it is on that origin; else the documented
path under the base URL).
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from labelloop.assist.llm.base import Provider
from labelloop.assist.llm.http import MAX_BODY, loads
from labelloop.data.io import MAX_LINE_BYTES, parse_json
from labelloop.errors import ProviderError

#: What a batch answer costs against a live one (both providers: half).
BATCH_PRICE = 0.5
#: The largest results or error file read back.
MAX_RESULTS_BYTES = 4 * 2**30
#: The longest id accepted from a batch server (batch, file).
MAX_ID_CHARS = 200


@dataclass
class RemoteBatch:
    """Where a batch stands, as its server says."""

    id: str
    status: str
    ended: bool
    counts: dict[str, int]
    files: dict[str, str] = field(default_factory=dict)  # output / errors: a file id, or the results URL
    error: str | None = None  # why the whole batch was refused, when it was


@dataclass
class Outcome:
    """One request's result: the reply body (a chat completion or a message), or why there is none."""

    custom_id: str
    body: dict[str, Any] | None = None
    error: str | None = None


def _one_line(text: Any, limit: int = 300) -> str:
    text = text if isinstance(text, str) else json.dumps(text, ensure_ascii=False)[:1000]
    text = " ".join("".join(c if c.isprintable() else " " for c in text[:2000]).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _count(v: Any) -> int:
    return v if isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 10**9 else 0


def checked_id(value: Any, what: str, where: str) -> str:
    if not (isinstance(value, str) and 0 < len(value) <= MAX_ID_CHARS and value.isprintable()):
        raise ProviderError(f"{where} answered without a usable {what}.")
    return value


class BatchAPI:
    """One provider's batch protocol, over an httpx client; every call retried like a live call."""

    kind = ""
    max_requests = 0
    max_bytes = 0
    #: The bytes around the request lines (the JSON wrapper of Anthropic's body) and between two of them.
    overhead = 0
    separator = 0

    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        self.base = provider.base_url
        self._rng = random.Random(provider.seed)

    # ------------------------------------------------------------------ what is sent
    def line(self, custom_id: str, payload: dict[str, Any]) -> bytes:
        raise NotImplementedError

    # ------------------------------------------------------------------ HTTP, bounded and retried
    async def call(self, client: Any, method: str, url: str, *, sink: Path | None = None,
                   limit: int = MAX_BODY, headers: dict[str, str] | None = None, **kw: Any) -> Any:
        """The JSON object ``url`` answers (or, with ``sink``, its body streamed to that file)."""
        import httpx

        p = self.provider
        attempts = p.max_retries + 1
        last = ""
        for attempt in range(attempts):
            args = {k: (v() if callable(v) else v) for k, v in kw.items()}  # a fresh upload stream per attempt
            wait: float | None = None
            try:
                async with client.stream(method, url, headers={**p.headers(), **(headers or {})}, **args) as resp:
                    code = resp.status_code
                    if code < 400:
                        return await self._body(resp, url, sink, limit)
                    body = await _read(resp, 64 * 1024)
                    text = _error_text(body)
                    if code in (401, 403):
                        raise ProviderError(f"The API key was refused by {url} (HTTP {code}).", fatal=True)
                    if code != 429 and code < 500:
                        raise ProviderError(p.redact(f"{url} rejected the request (HTTP {code}): {text}."),
                                            fatal=True)
                    last = f"{url} answered HTTP {code}: {text}"
                    ra = resp.headers.get("retry-after", "")
                    wait = float(ra) if ra.replace(".", "", 1).isdigit() else None
            except httpx.TimeoutException:
                last = f"no answer from {url} within {p.timeout:g} s"
            except httpx.TransportError as exc:
                last = f"cannot reach {url} ({type(exc).__name__}: {exc})"
            if attempt + 1 == attempts:
                break
            if wait is None:
                wait = self._rng.uniform(0, min(p.backoff_max, p.backoff_base * 2**attempt))
            await asyncio.sleep(min(wait, p.max_wait))
        raise ProviderError(p.redact(f"Gave up after {attempts} attempts: {last}."))

    async def _body(self, resp: Any, url: str, sink: Path | None, limit: int) -> Any:
        if sink is None:
            data = await _read(resp, limit, url)
            try:
                obj = loads(data)
            except ValueError:
                raise ProviderError(f"{url} answered with a body that is not acceptable JSON.") from None
            if not isinstance(obj, dict):
                raise ProviderError(f"{url} answered with JSON that is not an object.")
            return obj
        tmp = sink.with_name(sink.name + ".part")
        total = 0
        with open(tmp, "wb") as fh:
            async for chunk in resp.aiter_bytes():
                total += len(chunk)
                if total > limit:
                    fh.close()
                    tmp.unlink(missing_ok=True)
                    raise ProviderError(f"Refused the file from {url}: it is over {limit:,} bytes.")
                fh.write(chunk)
        tmp.replace(sink)
        return None

    # ------------------------------------------------------------------ the protocol
    async def submit(self, client: Any, requests: Path, state: dict[str, Any], save: Callable[[], None]) -> None:
        """Send the requests file; ``state`` gets the batch id (and what led to it), saved at each step."""
        raise NotImplementedError

    async def retrieve(self, client: Any, batch_id: str) -> RemoteBatch:
        raise NotImplementedError

    async def download(self, client: Any, remote: RemoteBatch, stem: Path) -> list[str]:
        """The batch's result files, written beside ``stem``; their names."""
        raise NotImplementedError

    def outcomes(self, path: Path, stats: dict[str, int]) -> Iterator[Outcome]:
        """The results in one downloaded file; lines that cannot be read are counted in ``stats['unreadable']``."""
        with open(path, "rb") as fh:
            for raw in fh:
                if not raw.strip():
                    continue
                try:
                    obj = parse_json(raw, max_depth=64, max_size=MAX_LINE_BYTES, max_int_digits=64, finite=True)
                except ValueError:
                    obj = None
                out = self.outcome(obj) if isinstance(obj, dict) else None
                if out is None:
                    stats["unreadable"] = stats.get("unreadable", 0) + 1
                    continue
                yield out

    def outcome(self, obj: dict[str, Any]) -> Outcome | None:
        raise NotImplementedError

    def usage(self, body: dict[str, Any]) -> tuple[int, int]:
        raise NotImplementedError


class OpenAIBatches(BatchAPI):
    kind = "openai"
    max_requests = 50_000
    max_bytes = 200 * 1000 * 1000
    separator = 0
    endpoint = "/v1/chat/completions"

    def line(self, custom_id: str, payload: dict[str, Any]) -> bytes:
        return (json.dumps({"custom_id": custom_id, "method": "POST", "url": self.endpoint, "body": payload},
                           ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n").encode("utf-8")

    async def submit(self, client: Any, requests: Path, state: dict[str, Any], save: Callable[[], None]) -> None:
        if not state.get("input_file_id"):
            def files() -> dict[str, Any]:
                return {"file": (requests.name, open(requests, "rb"), "application/jsonl")}  # noqa: SIM115
            url = f"{self.base}/files"
            obj = await self.call(client, "POST", url, files=files, data={"purpose": "batch"})
            state["input_file_id"] = checked_id(obj.get("id"), "file id", url)
            save()
        url = f"{self.base}/batches"
        found = await self._find(client, state["input_file_id"]) if state.get("submitting") else None
        if found is None:
            state["submitting"] = True  # a crash after the POST: the next run finds the batch by its file
            save()
            obj = await self.call(client, "POST", url, json={
                "input_file_id": state["input_file_id"], "endpoint": self.endpoint, "completion_window": "24h",
                "metadata": {"labelloop_batch": state["local"]}})
            found = checked_id(obj.get("id"), "batch id", url)
        state["id"] = found
        save()

    async def _find(self, client: Any, file_id: str) -> str | None:
        """The batch already made from ``file_id`` (the newest 100 batches are looked at)."""
        url = f"{self.base}/batches"
        obj = await self.call(client, "GET", url, params={"limit": 100})
        for b in obj.get("data") or []:
            if isinstance(b, dict) and b.get("input_file_id") == file_id:
                return checked_id(b.get("id"), "batch id", url)
        return None

    async def retrieve(self, client: Any, batch_id: str) -> RemoteBatch:
        url = f"{self.base}/batches/{quote(batch_id, safe='')}"
        obj = await self.call(client, "GET", url)
        status = obj.get("status") if isinstance(obj.get("status"), str) else "unknown"
        counts = obj.get("request_counts") if isinstance(obj.get("request_counts"), dict) else {}
        files = {k: checked_id(obj[f], "file id", url) for k, f in (("output", "output_file_id"),
                                                                      ("errors", "error_file_id")) if obj.get(f)}
        error = None
        if status == "failed":
            errs = (obj.get("errors") or {}).get("data") if isinstance(obj.get("errors"), dict) else None
            msgs = [_one_line(e.get("message", "")) for e in errs or [] if isinstance(e, dict)]
            error = "; ".join(m for m in msgs if m)[:600] or "no reason given"
        return RemoteBatch(batch_id, _one_line(status, 40),
                           status in ("completed", "failed", "expired", "cancelled"),
                           {k: _count(counts.get(k)) for k in ("total", "completed", "failed")}, files, error)

    async def download(self, client: Any, remote: RemoteBatch, stem: Path) -> list[str]:
        names = []
        for kind, fid in remote.files.items():
            dest = stem.with_name(f"{stem.name}.{kind}.jsonl")
            await self.call(client, "GET", f"{self.base}/files/{quote(fid, safe='')}/content", sink=dest,
                            limit=MAX_RESULTS_BYTES)
            names.append(dest.name)
        return names

    def outcome(self, obj: dict[str, Any]) -> Outcome | None:
        cid = obj.get("custom_id")
        if not isinstance(cid, str):
            return None
        err, resp = obj.get("error"), obj.get("response")
        if isinstance(err, dict):
            code = err.get("code")
            if code == "batch_expired":
                return Outcome(cid, error="the request expired: the batch did not run it within its 24 h window")
            return Outcome(cid, error=f"the batch failed the request: {_one_line(code or '')}: "
                                      f"{_one_line(err.get('message', ''))}")
        if not isinstance(resp, dict):
            return Outcome(cid, error="the batch's result for the request has neither a response nor an error")
        code, body = resp.get("status_code"), resp.get("body")
        if code != 200 or not isinstance(body, dict):
            text = _error_text(json.dumps(body).encode() if body is not None else b"")
            return Outcome(cid, error=f"the batch's call answered HTTP {_one_line(code, 10)}: {text}")
        return Outcome(cid, body=body)

    def usage(self, body: dict[str, Any]) -> tuple[int, int]:
        u = body.get("usage") if isinstance(body.get("usage"), dict) else {}
        return _count(u.get("prompt_tokens")), _count(u.get("completion_tokens"))


class AnthropicBatches(BatchAPI):
    kind = "anthropic"
    max_requests = 100_000
    max_bytes = 256 * 1000 * 1000
    overhead = len(b'{"requests":[]}')
    separator = 1

    def line(self, custom_id: str, payload: dict[str, Any]) -> bytes:
        return json.dumps({"custom_id": custom_id, "params": payload}, ensure_ascii=False, separators=(",", ":"),
                          allow_nan=False).encode("utf-8") + b"\n"

    async def submit(self, client: Any, requests: Path, state: dict[str, Any], save: Callable[[], None]) -> None:
        url = f"{self.base}/v1/messages/batches"

        async def body() -> AsyncIterator[bytes]:
            yield b'{"requests":['
            with open(requests, "rb") as fh:
                for i, raw in enumerate(fh):
                    yield (b"," if i else b"") + raw.rstrip(b"\n")
            yield b"]}"

        size = lines = 0
        with open(requests, "rb") as fh:
            for raw in fh:
                size += len(raw.rstrip(b"\n"))
                lines += 1
        length = self.overhead + size + max(0, lines - 1)  # sent with a length: not every server takes chunks
        state["submitting"] = True  # Anthropic batches carry no mark of ours: a crash here cannot be told apart
        save()
        obj = await self.call(client, "POST", url, content=body,
                              headers={"content-type": "application/json", "content-length": str(length)})
        state["id"] = checked_id(obj.get("id"), "batch id", url)
        save()

    async def retrieve(self, client: Any, batch_id: str) -> RemoteBatch:
        url = f"{self.base}/v1/messages/batches/{quote(batch_id, safe='')}"
        obj = await self.call(client, "GET", url)
        status = obj.get("processing_status") if isinstance(obj.get("processing_status"), str) else "unknown"
        counts = obj.get("request_counts") if isinstance(obj.get("request_counts"), dict) else {}
        files = {}
        if status == "ended":
            files["results"] = f"{url}/results"
            given = obj.get("results_url")
            if isinstance(given, str) and _same_origin(given, self.base) and len(given) < 2000:
                files["results"] = given
        return RemoteBatch(batch_id, _one_line(status, 40), status == "ended",
                           {k: _count(counts.get(k)) for k in ("processing", "succeeded", "errored", "canceled",
                                                               "expired")}, files)

    async def download(self, client: Any, remote: RemoteBatch, stem: Path) -> list[str]:
        dest = stem.with_name(f"{stem.name}.results.jsonl")
        await self.call(client, "GET", remote.files["results"], sink=dest, limit=MAX_RESULTS_BYTES)
        return [dest.name]

    def outcome(self, obj: dict[str, Any]) -> Outcome | None:
        cid, res = obj.get("custom_id"), obj.get("result")
        if not isinstance(cid, str) or not isinstance(res, dict):
            return None
        kind = res.get("type")
        if kind == "succeeded" and isinstance(res.get("message"), dict):
            return Outcome(cid, body=res["message"])
        if kind == "expired":
            return Outcome(cid, error="the request expired: the batch did not run it within its 24 h window")
        if kind == "canceled":
            return Outcome(cid, error="the request was canceled with its batch")
        if kind == "errored":
            err = res.get("error") if isinstance(res.get("error"), dict) else {}
            inner = err.get("error") if isinstance(err.get("error"), dict) else err
            return Outcome(cid, error=f"the batch failed the request: {_one_line(inner.get('type', ''))}: "
                                      f"{_one_line(inner.get('message', ''))}")
        return Outcome(cid, error=f"the batch's result for the request is of an unknown type {_one_line(kind, 40)}")

    def usage(self, body: dict[str, Any]) -> tuple[int, int]:
        u = body.get("usage") if isinstance(body.get("usage"), dict) else {}
        return _count(u.get("input_tokens")), _count(u.get("output_tokens"))


APIS: dict[str, type[BatchAPI]] = {"openai": OpenAIBatches, "anthropic": AnthropicBatches}


def batch_api(provider: Provider) -> BatchAPI | None:
    """The batch API of ``provider``'s endpoint, or None when it has none."""
    cls = APIS.get(provider.batch_api or "")
    return cls(provider) if cls else None


def _same_origin(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme.lower(), a.hostname, a.port) == (b.scheme.lower(), b.hostname, b.port)


async def _read(resp: Any, limit: int, url: str = "") -> bytes:
    parts, total = [], 0
    async for chunk in resp.aiter_bytes():
        total += len(chunk)
        if total > limit:
            if url:
                raise ProviderError(f"Refused the reply from {url}: it is over {limit:,} bytes.")
            break
        parts.append(chunk)
    return b"".join(parts)


def _error_text(body: bytes) -> str:
    try:
        obj = loads(body)
    except ValueError:
        return _one_line(body[:300].decode("utf-8", "replace")) or "no message"
    if isinstance(obj, dict):
        obj = obj.get("error", obj)
    if isinstance(obj, dict) and isinstance(obj.get("message"), str):
        obj = obj["message"]
    return _one_line(obj) or "no message"
