"""LLM pre-labelling against hostile or broken providers: every field of a reply is untrusted.

Replies come from the real loopback stand-in of ``tests/assist/conftest.py`` (loaded from there, so both
directories share one server) or, for byte-level HTTP, from a raw socket server here.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import re
import socket
import threading
import zlib

import pytest

from fake_llm import FakeLLM  # the root conftest's stand-in, behind its llm_server fixture too
from labelloop.assist.cache import AnswerCache, cache_key
from labelloop.assist.llm import get_provider
from labelloop.assist.llm.http import HTTPClient, HttpxClient
from labelloop.assist.prelabel import PROMPT_VERSION, prelabel
from labelloop.assist.prompt import SYSTEM, View, build_user_message
from labelloop.data.model import Candidate, DataSample, Dataset, Message
from labelloop.data.positions import candidate_order
from labelloop.templates import TEMPLATES

KEY = "sk-live-0123456789abcdef"
OTHER_SECRET = "sk-ant-9876543210fedcba"
QUESTION = re.compile(r"Question (\d+)\?")
DEEP = "[" * 1500 + "]" * 1500
HUGE = "1" + "0" * 4999  # 5,000 digits: past Python's 4,300-digit conversion limit
MiB = 1024 * 1024


def make_dataset(n: int) -> Dataset:
    """Sample i has its good answer at candidate ``c{i % 2}``."""
    return Dataset(name="toy", samples=[
        DataSample(id=f"s{i}", prompt=[Message(role="user", content=f"Question {i}?")],
                   candidates=[Candidate(id=f"c{j}", content=f"answer {j} of {i}" + (" [GOOD]" if j == i % 2 else ""))
                               for j in range(2)])
        for i in range(n)])


def provider(server, name="compatible", **kw):
    kw.setdefault("backoff_base", 0.01)
    kw.setdefault("model", "judge-1")
    kw.setdefault("api_key", KEY)
    return get_provider(name, base_url=server.openai_url if name != "anthropic" else server.root, **kw)


def sample_no(server, req) -> int:
    return int(QUESTION.search(server.first_user(req)).group(1))


def by_sample(server, replies):
    """A policy answering sample i with ``replies[i](req, n)``, the oracle where there is none."""
    def policy(req, n):
        fn = replies.get(sample_no(server, req))
        return fn(req, n) if fn else server.oracle(req, n)
    return policy


def preds(ds):
    return {s.id: [a for a in s.annotations if a.kind == "prediction"] for s in ds.samples}


def failures(res):
    return {f["sample"]: f["reason"] for f in res.summary.failures}


def message(**changes):
    """A ``shape`` changing fields of the OpenAI envelope: top-level keys, or ``content`` of the message."""
    def shape(env):
        if "content" in changes:
            env["choices"][0]["message"]["content"] = changes["content"]
        env.update({k: v for k, v in changes.items() if k != "content"})
        return env
    return shape


def gzip_bomb(size: int = 64 * MiB) -> bytes:
    """``size`` zero bytes, gzipped to about a thousandth of that, compressed a MiB at a time."""
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(MiB)
    return b"".join(z.compress(block) for _ in range(size // MiB)) + z.flush()


# ---------------------------------------------------------------------------------------------- item 7
def test_garbage_openai_replies_fail_their_own_sample_and_the_run_goes_on(llm_server):
    url = f"{llm_server.openai_url}/chat/completions"

    def oracle_with(**changes):
        return lambda req, n: {**llm_server.oracle(req, n), "shape": message(**changes)}

    def answer_text(text):
        return lambda req, n: {"answer": text}

    def raw(tail):  # a well-formed envelope with ``tail`` spliced in as one more field
        def reply(req, n):
            env = json.dumps({"id": "x", "model": "m", "choices": [{"index": 0, "message": {
                "role": "assistant", "content": json.dumps(llm_server.oracle(req, n)["answer"])}}]})
            return {"raw": (env[:-1] + ', "extra": ' + tail + "}").encode()}
        return reply

    def text_parts(req, n):
        text = json.dumps(llm_server.oracle(req, n)["answer"])
        return {**llm_server.oracle(req, n), "shape": message(content=[
            {"type": "text", "text": text[:10]}, {"type": "text", "text": text[10:]}])}

    llm_server.policy = by_sample(llm_server, {
        0: oracle_with(content=[{"type": "image_url", "image_url": {"url": "http://x"}}]),
        1: oracle_with(content=42),
        2: text_parts,  # a list of text parts is legitimate: joined
        3: oracle_with(usage="lots"),
        4: oracle_with(model={"name": "judge"}),
        5: oracle_with(usage={"prompt_tokens": -5, "completion_tokens": 10**30}),
        6: raw(DEEP),
        7: raw(HUGE),
        8: answer_text('{"values": ' + DEEP + "}"),
        9: answer_text('{"values": {"preference": "A"}, "confidence": 0.5, "n": ' + HUGE + "}"),
        10: answer_text('{"values": {"preference": "A"}, "confidence": 1' + "0" * 399 + "}"),
        11: answer_text(" " * 1_000_001),
        12: answer_text('{"values": {"preference": "A"}, "confidence": 0.5, "rationale": "\\udc80"}'),
    })
    res = prelabel(make_dataset(14), TEMPLATES.get("rewardbench")(), provider(llm_server), concurrency=4,
                   max_attempts=2)
    assert failures(res) == {
        "s0": f"{url} answered with message content parts that are not all text.",
        "s1": f"{url} answered with message content that is a number, not text.",
        "s6": f"{url} answered HTTP 200 with JSON that nests deeper than 64 levels.",
        "s7": f"{url} answered HTTP 200 with JSON that has a number with 5000 digits (at most 64 are accepted).",
        "s8": "no valid answer after 2 attempts: the reply nests deeper than 64 levels",
        "s9": "no valid answer after 2 attempts: the reply has a number with 5000 digits (at most 64 are accepted)",
        "s10": "no valid answer after 2 attempts: the reply has a number with 400 digits (at most 64 are accepted)",
        "s11": "no valid answer after 2 attempts: the reply is 1000001 characters long, more than the 1000000 accepted",
        "s12": "no valid answer after 2 attempts: the reply has a lone surrogate (\\udc80), which UTF-8 cannot encode",
    }
    p = preds(res.dataset)
    assert {s: [a.values["preference"] for a in anns] for s, anns in p.items()} == {
        "s0": [], "s1": [], "s2": ["c0"], "s3": ["c1"], "s4": ["c0"], "s5": ["c1"], "s6": [], "s7": [], "s8": [],
        "s9": [], "s10": [], "s11": [], "s12": [], "s13": ["c1"]}
    assert [a.model_version for s in ("s2", "s3", "s4", "s13") for a in p[s]] == \
        ["judge-1-2024-06", "judge-1-2024-06", "judge-1", "judge-1-2024-06"]  # an object is no version: ours
    s = res.summary
    # ok: s2 s3 s4 s5 s13 one call each; s8..s12 two calls each; s0 s1 s6 s7 fail on their one request
    assert (s.samples, s.predicted, s.failed, s.calls, s.http_requests) == (14, 5, 9, 15, 19)
    # 100/20 a call, but s3's usage is a string and s5's counts are negative and absurd: 0 for those
    assert (s.input_tokens, s.output_tokens) == (100 * 13, 20 * 13)


def test_garbage_anthropic_replies_fail_their_own_sample(llm_server):
    url = f"{llm_server.root}/v1/messages"

    def shaped(fn):
        return lambda req, n: {**llm_server.oracle(req, n), "shape": fn}

    def blocks(content):
        def shape(env):
            env["content"] = content
            return env
        return shape

    def fields(env):
        env.update(usage="many", model=["judge"])
        return env

    def raw(tool_input):
        return lambda req, n: {"raw": ('{"type": "message", "content": [{"type": "tool_use", "id": "t", "name": '
                                       '"record_labels", "input": ' + tool_input + "}]}").encode()}

    llm_server.policy = by_sample(llm_server, {
        0: shaped(blocks([{"type": "text", "text": 42}])),
        1: shaped(fields),
        2: raw('{"values": ' + DEEP + "}"),
        3: raw('{"values": {"preference": "A"}, "confidence": 1' + "0" * 399 + "}"),
        4: shaped(blocks("hello")),
        5: shaped(blocks([{"type": "tool_use", "id": "t", "name": "record_labels", "input": "nope"}])),
        6: shaped(blocks([{"type": "text", "text": None}])),
    })
    res = prelabel(make_dataset(8), TEMPLATES.get("rewardbench")(), provider(llm_server, "anthropic"),
                   concurrency=3, max_attempts=2)
    assert failures(res) == {
        "s0": f"{url} answered with a text block whose text is a number, not text.",
        "s2": f"{url} answered HTTP 200 with JSON that nests deeper than 64 levels.",
        "s3": f"{url} answered HTTP 200 with JSON that has a number with 400 digits (at most 64 are accepted).",
        "s4": f"{url} answered without a content list.",
        "s5": 'no valid answer after 2 attempts: the reply must be a JSON object with a "values" object',
        "s6": f"{url} answered with a text block whose text is null, not text.",
    }
    p = preds(res.dataset)
    assert [(a.values["preference"], a.model_version) for a in p["s1"] + p["s7"]] == \
        [("c1", "judge-1"), ("c1", "judge-1-2024-06")]
    s = res.summary
    assert (s.predicted, s.failed, s.calls, s.input_tokens, s.output_tokens) == (2, 6, 4, 300, 60)


# --------------------------------------------------------------------------------------------- item 11
class RawServer:
    """Answers every connection with ``response`` (bytes, or a function writing to the socket), then hangs up."""

    def __init__(self, response) -> None:
        self.response = response
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1/chat/completions"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                buf = b""
                while b"\r\n\r\n" not in buf:
                    buf += conn.recv(65536)
                head, _, body = buf.partition(b"\r\n\r\n")
                length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
                while len(body) < length:  # read the whole request: unread bytes would make close() a reset
                    body += conn.recv(65536)
                try:
                    if callable(self.response):
                        self.response(conn)
                    else:
                        conn.sendall(self.response)
                    conn.shutdown(socket.SHUT_WR)
                    conn.settimeout(10)
                    while conn.recv(65536):  # until the client hangs up
                        pass
                except OSError:  # the client refused the rest and hung up: expected
                    pass

    def close(self) -> None:
        self.sock.close()


def head(extra: str) -> bytes:
    return f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{extra}\r\n".encode()


def chunked(conn) -> None:
    conn.sendall(head("Transfer-Encoding: chunked\r\n"))
    for _ in range(17):
        conn.sendall(b"%x\r\n%s\r\n" % (MiB, b" " * MiB))
    conn.sendall(b"0\r\n\r\n")


def to_the_close(conn) -> None:
    conn.sendall(b"HTTP/1.0 200 OK\r\n\r\n")
    for _ in range(17):
        conn.sendall(b" " * MiB)


@pytest.fixture()
def no_proxy(monkeypatch):
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(var, raising=False)


@pytest.mark.parametrize("client", ["lean", "httpx"])
@pytest.mark.parametrize("response, detail", [
    ("bomb", "it inflates to more than the 16 MiB limit"),
    (head(f"Content-Length: {17 * MiB}\r\n") + b"{}", f"its body is {17 * MiB} bytes, over the 16 MiB limit"),
    (chunked, "its body is over the 16 MiB limit"),
    (to_the_close, "its body is over the 16 MiB limit"),
], ids=["gzip-bomb", "content-length", "chunked", "to-the-close"])
def test_oversized_replies_are_refused_by_both_clients(no_proxy, client, response, detail):
    if response == "bomb":
        bomb = gzip_bomb()
        assert len(bomb) < MiB  # 64 MiB inflated
        response = head(f"Content-Encoding: gzip\r\nContent-Length: {len(bomb)}\r\n") + bomb
    srv = RawServer(response)

    async def main():
        c = HTTPClient(timeout=10) if client == "lean" else HttpxClient(timeout=10)
        async with c:
            try:
                resp = await c.post(srv.url, b"{}", {})
            except Exception as exc:  # what the request ended with, whatever it is
                return type(exc).__name__, str(exc)
            return "read", len(resp.content)
    try:
        outcome = asyncio.run(main())
    finally:
        srv.close()
    assert outcome == ("ResponseTooLarge", f"ResponseTooLarge: {detail}")


def test_small_gzip_replies_still_read_by_both_clients(no_proxy):
    body = gzip.compress(b'{"ok": "' + b"y" * (15 * MiB) + b'"}')  # inflates to just under the limit
    srv = RawServer(head(f"Content-Encoding: gzip\r\nContent-Length: {len(body)}\r\n") + body)

    async def main(c):
        async with c:
            return (await c.post(srv.url, b"{}", {})).json()
    try:
        assert asyncio.run(main(HTTPClient(timeout=10))) == {"ok": "y" * (15 * MiB)}
        assert asyncio.run(main(HttpxClient(timeout=10))) == {"ok": "y" * (15 * MiB)}
    finally:
        srv.close()


def test_a_gzip_bomb_fails_its_sample_once_and_the_run_goes_on(llm_server):
    bomb = gzip_bomb()
    llm_server.policy = by_sample(llm_server, {
        0: lambda req, n: {"raw": bomb, "headers": {"Content-Encoding": "gzip"}}})
    res = prelabel(make_dataset(3), TEMPLATES.get("rewardbench")(), provider(llm_server))
    assert failures(res) == {
        "s0": f"Refused the reply from {llm_server.openai_url}/chat/completions: it inflates to more than the 16 MiB "
              "limit."}
    assert res.summary.predicted == 2 and res.summary.http_requests == 3  # not retried: it would be as big again


# ------------------------------------------------------------------------------------------- low items
def test_secrets_echoed_back_are_redacted_from_everything_kept(llm_server, tmp_path, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", OTHER_SECRET)  # a configured secret of another provider
    escaped = "".join(f"\\u{ord(c):04x}" for c in KEY)  # the key spelled in JSON escapes

    def with_rationale(text):
        def reply(req, n):
            ans = llm_server.oracle(req, n)
            ans["answer"]["rationale"] = text
            return ans
        return reply

    def escaped_rationale(req, n):
        ans = json.dumps(llm_server.oracle(req, n)["answer"])
        return {"answer": ans.replace('"rationale": "', f'"rationale": "{escaped} ')}

    llm_server.policy = by_sample(llm_server, {
        0: lambda req, n: {"status": 400, "body": {"error": {"message": f"Invalid key {KEY} for model judge-1"}}},
        1: with_rationale(f"B is right; the key is {KEY} and {OTHER_SECRET}."),
        2: lambda req, n: {"answer": {"values": {"preference": KEY}, "confidence": 0.5, "rationale": "x"}},
        3: escaped_rationale,
        4: lambda req, n: {**llm_server.oracle(req, n), "shape": message(model=f"judge-{KEY}")},
        5: lambda req, n: {"status": 503, "body": {"error": {"message": f"overloaded, key {KEY}"}}},
    })
    cache = AnswerCache(tmp_path / "cache")
    res = prelabel(make_dataset(6), TEMPLATES.get("rewardbench")(), provider(llm_server, max_retries=0),
                   cache=cache, max_attempts=2)
    cache.close()
    url = f"{llm_server.openai_url}/chat/completions"
    assert failures(res) == {
        "s0": f"{url} rejected the request (HTTP 400): Invalid key [redacted] for model judge-1.",
        "s2": "no valid answer after 2 attempts: question 'preference': '[redacted]' is not one of "
              "['A', 'B', 'tie', 'both_bad']",
        "s5": f"Gave up after 1 attempts: {url} answered HTTP 503: overloaded, key [redacted].",
    }
    p = preds(res.dataset)
    assert p["s1"][0].metadata["rationale"] == "B is right; the key is [redacted] and [redacted]."
    assert p["s3"][0].metadata["rationale"] == f"[redacted] {'AB'[p['s3'][0].metadata['shown_order'].index('c1')]} " \
                                               "is correct."
    assert p["s4"][0].model_version == "judge-[redacted]"
    stored = res.dataset.model_dump_json() + json.dumps(res.summary.as_dict()) + \
        (tmp_path / "cache" / "answers.jsonl").read_text()
    assert KEY not in stored and OTHER_SECRET not in stored and stored.count("[redacted]") == 14


def test_failed_answers_are_asked_again_and_the_base_url_is_part_of_the_key(llm_server, tmp_path):
    schema = TEMPLATES.get("rewardbench")()
    llm_server.policy = lambda req, n: {"answer": {"values": {"preference": "C"}, "confidence": 0.8,
                                                   "rationale": "C"}}
    other = FakeLLM()
    try:
        cache = AnswerCache(tmp_path)
        first = prelabel(make_dataset(3), schema, provider(llm_server), cache=cache, max_attempts=1)
        assert (first.summary.failed, first.summary.calls) == (3, 3)
        assert len(cache) == 0  # invalid answers are not kept

        llm_server.policy = llm_server.oracle  # the server is fixed: the rerun asks again
        second = prelabel(make_dataset(3), schema, provider(llm_server), cache=cache)
        assert (second.summary.failed, second.summary.calls, second.summary.cached) == (0, 3, 0)

        third = prelabel(make_dataset(3), schema, provider(other), cache=cache)  # same name and model, other server
        assert (third.summary.cached, third.summary.calls, len(other.requests)) == (0, 3, 3)
        fourth = prelabel(make_dataset(3), schema, provider(other), cache=cache)
        assert (fourth.summary.cached, fourth.summary.calls, len(other.requests)) == (3, 0, 3)
        cache.close()
    finally:
        other.close()
    assert [a.values["preference"] for s in fourth.dataset.samples for a in s.annotations] == ["c0", "c1", "c0"]


def test_cache_records_from_before_the_base_url_still_serve_valid_answers(llm_server, tmp_path):
    schema = TEMPLATES.get("rewardbench")()
    ds = make_dataset(3)

    def old_key(s):  # the key as versions without the base URL wrote it
        user = build_user_message(schema, s, View(candidate_order(s, 0)))
        return cache_key(v=PROMPT_VERSION, provider="compatible", model="judge-1", temperature=0.0,
                         schema=schema.schema_hash(), system=SYSTEM, user=user)

    with open(tmp_path / "answers.jsonl", "w") as fh:
        for rec in ({"key": old_key(ds.samples[0]), "status": "ok", "values": {"preference": "c1"},
                     "confidence": 0.7, "rationale": "old", "model_version": "judge-0"},
                    {"key": old_key(ds.samples[1]), "status": "failed", "reason": "old failure"},
                    {"key": old_key(ds.samples[2]), "status": "ok", "values": ["not", "a", "mapping"]}):
            fh.write(json.dumps(rec) + "\n")
    res = prelabel(ds, schema, provider(llm_server), cache=AnswerCache(tmp_path))
    assert (res.summary.cached, res.summary.calls, res.summary.failed) == (1, 2, 0)
    (old,) = preds(res.dataset)["s0"]
    assert (old.values, old.score, old.model_version, old.metadata["rationale"]) == ({"preference": "c1"}, 0.7,
                                                                                     "judge-0", "old")
    assert [preds(res.dataset)[s][0].values["preference"] for s in ("s1", "s2")] == ["c1", "c0"]


def test_cache_lines_that_are_not_records_are_skipped(tmp_path):
    (tmp_path / "answers.jsonl").write_bytes(b"\n".join([
        b'{"key": ["not", "a", "string"], "status": "ok"}', b'{"key": "deep", "x": ' + DEEP.encode() + b"}",
        b'{"key": "huge", "n": ' + HUGE.encode() + b"}", b'{"key": "bytes", "x": "\xff\xfe"}',
        b'{"key": "inf", "confidence": 1e999}', b'{"key": "nan", "confidence": NaN}',
        b'{"key": "surrogate", "x": "\xed\xa0\x80"}',  # an encoded lone surrogate: not UTF-8
        b'{"key": "k1", "status": "ok"}']) + b"\n")
    cache = AnswerCache(tmp_path)
    assert (len(cache), cache.torn_lines, cache.get("k1")) == (1, 6, {"key": "k1", "status": "ok"})


def slow_down(server, asked):
    """A policy answering the first request with a 429 asking to retry after ``asked`` seconds, then the oracle."""
    def policy(req, n):
        if n == 1:
            return {"status": 429, "headers": {"Retry-After": asked}, "body": {"error": {"message": "slow down"}}}
        return server.oracle(req, n)
    return policy


@pytest.fixture()
def sleeps(monkeypatch):
    """Every wait the retry loop asks for, in seconds; none is slept (a 60 s Retry-After is read, not waited)."""
    from labelloop.assist.llm import base

    asked: list[float] = []
    real = asyncio.sleep

    async def sleep(delay, *args, **kwargs):
        if delay:
            asked.append(delay)
        return await real(0)
    monkeypatch.setattr(base.asyncio, "sleep", sleep)
    return asked


@pytest.mark.parametrize("options, asked, waited", [
    ({}, "61", "60"),  # the defaults: a 60 s timeout, so anything past a minute is refused
    ({"backoff_max": 0.5, "timeout": 2}, "100000", "2"),
    ({"backoff_max": 120, "timeout": 2}, "121", "120"),
], ids=["defaults", "timeout", "backoff-cap"])
def test_a_retry_after_longer_than_we_wait_fails_the_sample_at_once(llm_server, sleeps, options, asked, waited):
    llm_server.policy = by_sample(llm_server, {0: lambda req, n: {
        "status": 429, "headers": {"Retry-After": asked}, "body": {"error": {"message": "slow down"}}}})
    res = prelabel(make_dataset(2), TEMPLATES.get("rewardbench")(), provider(llm_server, max_retries=1, **options))
    assert failures(res) == {"s0": f"{llm_server.openai_url}/chat/completions answered HTTP 429 and asked to retry "
                                   f"after {asked} s, longer than the {waited} s we wait: slow down."}
    assert res.summary.http_requests == 2 and res.summary.http_retries == 0 and res.summary.predicted == 1
    assert sleeps == []


@pytest.mark.parametrize("options, asked", [
    ({}, 60),  # a usual 429 of a burst: waited out with the default 60 s timeout, not failed
    ({"backoff_max": 0.5, "timeout": 45}, 45),  # up to the timeout, whatever the backoff cap
    ({"backoff_max": 90, "timeout": 2}, 90),  # up to the backoff cap, whatever the timeout
], ids=["defaults", "timeout", "backoff-cap"])
def test_a_retry_after_up_to_the_longest_wait_is_honoured(llm_server, sleeps, options, asked):
    llm_server.policy = slow_down(llm_server, str(asked))
    res = prelabel(make_dataset(1), TEMPLATES.get("rewardbench")(), provider(llm_server, **options))
    assert failures(res) == {} and res.summary.predicted == 1
    assert (res.summary.http_requests, res.summary.http_retries, sleeps) == (2, 1, [asked])


def test_non_finite_numbers_in_a_reply_fail_their_own_sample(llm_server):
    url = f"{llm_server.openai_url}/chat/completions"

    def envelope_with(tail):
        def reply(req, n):
            env = json.dumps({"id": "x", "model": "m", "choices": [{"index": 0, "message": {
                "role": "assistant", "content": json.dumps(llm_server.oracle(req, n)["answer"])}}]})
            return {"raw": (env[:-1] + ', "extra": ' + tail + "}").encode()}
        return reply

    def confidence(text):
        return lambda req, n: {"answer": '{"values": {"preference": "A"}, "confidence": ' + text + "}"}

    llm_server.policy = by_sample(llm_server, {
        0: envelope_with("1e999"),
        1: envelope_with("-Infinity"),
        2: confidence("1e999"),  # used to parse as inf, and go on as a label with no confidence
        3: confidence("-1" + "0" * 30 + "e300"),
        4: confidence("NaN"),
        5: confidence("1e308"),  # large, but a float: the answer is used
    })
    res = prelabel(make_dataset(6), TEMPLATES.get("rewardbench")(), provider(llm_server), max_attempts=2)
    assert failures(res) == {
        "s0": f"{url} answered HTTP 200 with JSON that has a number too large for a float (1e999).",
        "s1": f"{url} answered HTTP 200 with JSON that has -Infinity, which is not JSON.",
        "s2": "no valid answer after 2 attempts: the reply has a number too large for a float (1e999)",
        "s3": "no valid answer after 2 attempts: the reply has a number too large for a float "
              "(-1000000000000000000000…)",
        "s4": "no valid answer after 2 attempts: the reply has NaN, which is not JSON",
    }
    (ok,) = preds(res.dataset)["s5"]
    assert ok.score == 1.0 and ok.values["preference"] in ("c0", "c1")  # "A", whichever that was on screen


@pytest.mark.parametrize("env", ["HF_TOKEN", "LABEL_STUDIO_PASSWORD", "LABEL_STUDIO_TOKEN", "MY_SERVICE_SECRET"])
def test_every_secret_the_mcp_server_redacts_is_redacted_from_the_dataset(llm_server, tmp_path, monkeypatch, env):
    secret = f"{env.lower()}-0123456789"
    monkeypatch.setenv(env, secret)
    monkeypatch.setenv("SHORT_TOKEN", "abc1234")  # 7 characters: too short to redact, anywhere

    def echo(req, n):
        ans = llm_server.oracle(req, n)
        ans["answer"]["rationale"] = f"I saw {secret} and abc1234 in the prompt."
        return ans

    llm_server.policy = echo
    cache = AnswerCache(tmp_path)
    res = prelabel(make_dataset(1), TEMPLATES.get("rewardbench")(), provider(llm_server), cache=cache)
    cache.close()
    (p,) = preds(res.dataset)["s0"]
    assert p.metadata["rationale"] == "I saw [redacted] and abc1234 in the prompt."
    assert secret not in res.dataset.model_dump_json() + (tmp_path / "answers.jsonl").read_text()

    from labelloop.mcp.guard import Guard
    from labelloop.secrets import known_secrets

    assert Guard().redact(f"x {secret} abc1234") == "x [redacted] abc1234"
    assert secret in known_secrets() and "abc1234" not in known_secrets(["abc1234"])
