"""Secrets go only to the endpoints the operator configured (issue 14, item 1).

An MCP caller (a model that may have read a hostile document) names a URL; the server must refuse it before
it opens a connection, whatever key sits in its environment. Loopback servers record every header they get.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from labelloop.annotate.labelstudio.project import connect
from labelloop.data.model import Candidate, DataSample, Dataset, Message
from labelloop.errors import EndpointError, ParameterError
from labelloop.formats import save
from labelloop.mcp.endpoints import Endpoints

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "mcp"))
from mcp_client import call, call_error, run_client, server_params  # noqa: E402

SECRET = "sk-test-0123456789abcdefSECRET"
LS_SECRET = "ls-token-0123456789abcdefSECRET"
from fake_llm import FakeLLM  # noqa: E402  (the root conftest's stand-in)


class Recorder:
    """Any HTTP request, any path: recorded with its headers, answered 200 {}."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        rec = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _any(self):
                n = int(self.headers.get("content-length") or 0)
                self.rfile.read(n)
                rec.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}})
                body = b"{}"
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PATCH = _any  # noqa: N815

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def llm():
    server = FakeLLM()
    yield server
    server.close()


@pytest.fixture()
def evil():
    server = Recorder()
    yield server
    server.close()


def _dataset(path: Path) -> None:
    save(Dataset(name="toy", samples=[
        DataSample(id=f"s{i}", prompt=[Message(role="user", content=f"Question {i}?")],
                   candidates=[Candidate(id="0", content=f"a {i} [GOOD]"), Candidate(id="1", content=f"b {i}")])
        for i in range(2)]), path)


def _params(root: Path, *extra: str, env: dict[str, str]):
    p = server_params(root, env=env)
    p.args = [*p.args, *extra]
    return p


ENV = {"OPENAI_API_KEY": SECRET, "ANTHROPIC_API_KEY": SECRET, "MOONSHOT_API_KEY": SECRET,
       "LABEL_STUDIO_API_KEY": LS_SECRET}


def test_mcp_refuses_a_caller_chosen_provider_url_before_connecting(tmp_path, evil):
    _dataset(tmp_path / "in.jsonl")

    async def body(s):
        errors = {}
        for provider in ("openai", "compatible", "anthropic", "moonshot"):
            errors[provider] = await call_error(s, "prelabel", path="in.jsonl", output="p.jsonl", provider=provider,
                                                base_url=evil.url + "/v1", schema="rewardbench", no_cache=True)
        errors["review"] = await call_error(s, "review", path="in.jsonl", schema="rewardbench", provider="openai",
                                            base_url=evil.url)
        errors["guidelines"] = await call_error(s, "guidelines", schema="rewardbench", provider="compatible",
                                                base_url=evil.url)
        return errors

    errors = run_client(_params(tmp_path, env=ENV), body)
    assert evil.requests == []
    assert errors["openai"] == (
        f"Error executing tool prelabel: base_url {evil.url}/v1 is not an endpoint this MCP server may send openai's "
        "requests to (allowed: https://api.openai.com/v1); the operator allows others when starting it: labelloop "
        "mcp --provider-url openai=URL.")
    assert errors["compatible"] == (
        f"Error executing tool prelabel: base_url {evil.url}/v1 is not an endpoint this MCP server may send "
        "compatible's requests to (allowed: none); the operator allows others when starting it: labelloop mcp "
        "--provider-url compatible=URL.")
    assert errors["anthropic"].startswith(f"Error executing tool prelabel: base_url {evil.url}/v1 is not an endpoint")
    assert errors["moonshot"].startswith(f"Error executing tool prelabel: base_url {evil.url}/v1 is not an endpoint")
    assert errors["review"].startswith(f"Error executing tool review: base_url {evil.url} is not an endpoint")
    assert errors["guidelines"].startswith(f"Error executing tool guidelines: base_url {evil.url} is not an endpoint")
    assert not (tmp_path / "p.jsonl").exists()


def test_mcp_configured_endpoint_gets_a_key_only_when_the_operator_says_which(tmp_path, llm):
    _dataset(tmp_path / "in.jsonl")

    async def body(s):
        out = await call(s, "prelabel", path="in.jsonl", output="p.jsonl", provider="compatible", schema="rewardbench",
                         no_cache=True)
        same = await call(s, "prelabel", path="in.jsonl", output="p2.jsonl", provider="compatible", no_cache=True,
                          base_url=llm.openai_url + "/", schema="rewardbench")
        return out["report"]["predicted"], same["report"]["predicted"]

    # configured endpoint, no --api-key-env: OPENAI_API_KEY stays home
    assert run_client(_params(tmp_path, "--provider-url", llm.openai_url, env=ENV), body) == (2, 2)
    assert len(llm.requests) == 4 and all("authorization" not in r["headers"] for r in llm.requests)
    llm.requests.clear()
    # the operator names the variable: now (and only now) the key goes there
    params = _params(tmp_path, "--provider-url", f"compatible={llm.openai_url}", "--api-key-env", "OPENAI_API_KEY",
                     env=ENV)
    assert run_client(params, body) == (2, 2)
    assert [r["headers"].get("authorization") for r in llm.requests] == [f"Bearer {SECRET}"] * 4


def test_mcp_compatible_without_a_configured_endpoint_is_one_sentence(tmp_path):
    _dataset(tmp_path / "in.jsonl")

    async def body(s):
        return await call_error(s, "prelabel", path="in.jsonl", output="p.jsonl", provider="compatible",
                                schema="rewardbench")

    assert run_client(_params(tmp_path, env=ENV), body) == (
        "Error executing tool prelabel: Provider 'compatible' has no endpoint on this MCP server; the operator gives "
        "one when starting it: labelloop mcp --provider-url compatible=URL.")


def test_mcp_refuses_a_caller_chosen_label_studio_url(tmp_path, evil):
    _dataset(tmp_path / "in.jsonl")

    async def body(s):
        push = await call_error(s, "labelstudio_push", path="in.jsonl", template="rewardbench", url=evil.url)
        pull = await call_error(s, "labelstudio_pull", project=1, url=evil.url + "/")
        return push, pull

    push, pull = run_client(_params(tmp_path, env=ENV), body)
    assert evil.requests == []
    assert push == (f"Error executing tool labelstudio_push: url {evil.url} is not a Label Studio this MCP server may "
                    "talk to (allowed: none); the operator names it when starting the server: labelloop mcp "
                    "--label-studio-url URL (or $LABEL_STUDIO_URL).")
    assert pull.startswith(f"Error executing tool labelstudio_pull: url {evil.url}/ is not a Label Studio")


def test_mcp_label_studio_token_goes_to_the_configured_server(tmp_path, evil):
    """The configured Label Studio (a recorder here) gets $LABEL_STUDIO_API_KEY; the pull then fails on its
    empty answers, which is fine: the header is what is checked."""
    async def body(s):
        return await call_error(s, "labelstudio_pull", project=7)

    run_client(_params(tmp_path, "--label-studio-url", evil.url, env=ENV), body)
    assert evil.requests and {r["headers"].get("authorization") for r in evil.requests} == {f"Token {LS_SECRET}"}


def test_connect_sends_the_environment_token_only_to_the_environment_url(tmp_path, monkeypatch):
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", LS_SECRET)
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    with pytest.raises(ParameterError) as exc:
        connect("http://127.0.0.1:9/", data_dir=tmp_path)
    assert exc.value.render(lambda p: f"--{p}") == (
        "No API token for http://127.0.0.1:9/: pass --token; $LABEL_STUDIO_API_KEY goes only to $LABEL_STUDIO_URL "
        "(not set).")
    assert str(exc.value).startswith("No API token for http://127.0.0.1:9/: pass token; ")
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://127.0.0.1:9")
    with connect("http://127.0.0.1:9/", data_dir=tmp_path) as client:
        assert client.token == LS_SECRET
    with pytest.raises(ParameterError, match="No API token for http://127.0.0.1:10: pass token; "):
        connect("http://127.0.0.1:10", data_dir=tmp_path)


def test_cli_compatible_provider_sends_no_key_unless_told(tmp_path, llm):
    _dataset(tmp_path / "in.jsonl")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "OPENAI_API_KEY": SECRET}
    base = [sys.executable, "-m", "labelloop.cli", "prelabel", str(tmp_path / "in.jsonl"), "--template",
            "rewardbench", "--provider", "compatible", "--base-url", llm.openai_url, "--no-cache", "--quiet", "--json"]
    p = subprocess.run([*base, "-o", str(tmp_path / "a.jsonl")], env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert [r["headers"].get("authorization") for r in llm.requests] == [None, None]
    p = subprocess.run([*base, "-o", str(tmp_path / "b.jsonl"), "--api-key-env", "OPENAI_API_KEY"], env=env,
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert [r["headers"].get("authorization") for r in llm.requests[2:]] == [f"Bearer {SECRET}"] * 2
    p = subprocess.run([*base, "-o", str(tmp_path / "c.jsonl"), "--api-key-env", "NO_SUCH_KEY"], env=env,
                       capture_output=True, text=True, timeout=120)
    assert (p.returncode, p.stderr.strip()) == (1, "error: Provider 'compatible' needs an API key; set NO_SUCH_KEY.")
    assert len(llm.requests) == 4


def test_endpoint_configuration_is_checked_once():
    with pytest.raises(EndpointError) as exc:
        Endpoints.configure(["nosuch=http://127.0.0.1:1/v1"])
    assert str(exc.value) == ("--provider-url 'nosuch=http://127.0.0.1:1/v1': unknown provider 'nosuch'; known: "
                              "anthropic, compatible, moonshot, openai.")
    with pytest.raises(EndpointError) as exc:
        Endpoints.configure(["ftp://x"])
    assert str(exc.value) == "--provider-url 'ftp://x' is not an http(s) URL with a host (and no user or password in it)."
    ends = Endpoints.configure(["http://127.0.0.1:1/v1?a=b", "openai=https://proxy.example/v1"],
                               ["openai=PROXY_KEY"], "http://127.0.0.1:8080")
    assert ends.provider_urls == {"compatible": ["http://127.0.0.1:1/v1?a=b"], "openai": ["https://proxy.example/v1"]}
    assert ends.provider("openai", None) == ("https://proxy.example/v1", "PROXY_KEY")
    # the operator's key variable goes with the operator's URL, never to the provider's public API
    assert ends.provider("openai", "HTTPS://api.openai.com:443/v1/") == ("HTTPS://api.openai.com:443/v1", None)
    assert ends.provider("openai", "https://proxy.example/v1/") == ("https://proxy.example/v1", "PROXY_KEY")
    assert json.dumps(ends.label_studio(None, None)[0]) == '"http://127.0.0.1:8080"'


def test_status_sends_the_token_only_to_the_server_it_belongs_to(tmp_path, evil):
    """A server.json that names another URL (planted, or left by another server) gets no token from status."""
    import os

    from labelloop.annotate.labelstudio import Credentials, LabelStudioServer
    from labelloop.annotate.labelstudio.server import _proc_start_time, _write_state

    Credentials(url="http://127.0.0.1:9", email="a@b.c", password="pw-0123456789", token=LS_SECRET).save(tmp_path)
    pid = os.getpid()
    _write_state(tmp_path, {"url": evil.url, "mode": "pip", "pid": pid, "pgid": pid, "proc_start": _proc_start_time(pid)})
    st = LabelStudioServer(tmp_path).status()
    assert (st["running"], st["api"]) == (True, None)
    assert evil.requests and all("authorization" not in r["headers"] for r in evil.requests)


def test_one_rule_for_the_same_endpoint_and_for_loopback():
    from labelloop.urls import is_loopback, same_url

    assert [same_url(a, b) for a, b in (("http://LS:80/", "http://ls"), ("https://h/v1/", "HTTPS://h:443/v1"),
                                        ("http://h:8080", "http://h:8081"), ("http://h/v1", "http://h/v2"),
                                        ("http://h:x", "http://h:x/"))] == [True, True, False, False, True]
    assert [is_loopback(h) for h in ("127.0.0.1", "127.0.0.2", "[::1]", "LOCALHOST", "0.0.0.0", "10.0.0.1")] == [
        True, True, True, True, False, False]
