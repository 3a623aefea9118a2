"""``labelloop prelabel --batch`` as a person runs it: a run killed while it waits, a second process that
resumes it without sending anything again, ``--no-wait``, ``--batch-status`` and ``--retry-failed``."""

from __future__ import annotations

import json
import os
import subprocess
import time

from labelloop.formats import load

from .test_prelabel_cli import cli, make_file


def env(**extra):
    return {**os.environ, "OPENAI_API_KEY": "sk-test", "ANTHROPIC_API_KEY": "sk-ant-test", **extra}


def test_killed_while_waiting_then_resumed_by_another_process(llm_server, tmp_path):
    data = make_file(tmp_path / "in.jsonl", 5)
    out = tmp_path / "out.jsonl"
    args = cli(data, "-o", out, "--template", "rewardbench", "--provider", "anthropic", "--base-url",
               llm_server.root, "--cache", tmp_path / "c", "--batch", "--poll", "0.1", "-q")
    llm_server.batch_hold = True
    proc = subprocess.Popen(args, env=env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while llm_server.batch_gets < 3 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert proc.poll() is None, proc.stderr.read().decode()
    assert llm_server.batch_gets >= 3  # submitted, and waiting on it
    proc.kill()
    proc.wait(30)
    assert not out.exists()
    (state,) = (tmp_path / "c" / "batches").glob("*.json")
    assert json.loads(state.read_text())["id"] == "msgbatch_0001"

    p = subprocess.run(args[:-1] + ["--batch-status"], env=env(), capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    line = p.stdout.strip()
    assert line.startswith("msgbatch_0001  anthropic/claude-3-5-haiku-latest  in_progress: 5 requests (5 processing)")
    assert line.endswith(f"[{state.stem}]")

    llm_server.batch_hold = False
    p = subprocess.run(args[:-1] + ["--json"], env=env(), capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    summary = json.loads(p.stdout)
    assert (summary["predicted"], summary["failed"], summary["calls"]) == (5, 0, 0), summary
    assert summary["batch"]["submitted"] == 0 and summary["batch"]["answered"] == 5
    assert len(llm_server.batches) == 1 and len(llm_server.per_prompt) == 5
    assert set(llm_server.per_prompt.values()) == {1}  # every request asked exactly once, over both processes
    assert [s.annotations[-1].values["preference"] for s in load(out).samples] == ["1", "0", "0", "1", "0"]


def test_no_wait_status_and_retry_failed(llm_server, tmp_path):
    data = make_file(tmp_path / "in.jsonl", 3)
    out = tmp_path / "out.jsonl"
    args = cli(data, "-o", out, "--template", "rewardbench", "--provider", "openai", "--base-url",
               llm_server.openai_url, "--cache", tmp_path / "c", "--batch", "--no-wait")
    llm_server.batch_hold = True
    p = subprocess.run(args, env=env(), capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == [
        "Batches: 1 (0 ended); 3 requests sent this run, 0 answers read, 0 failed, 3 still waiting.",
        "Waiting for 3 of 3 samples in batches that have not ended; nothing written yet. Run the same command "
        "again to continue (--batch-status shows each batch)."]
    assert not out.exists()

    llm_server.batch_hold = False
    llm_server.policy = lambda req, n: ({"expire": True} if "Question 1?" in llm_server.first_user(req)
                                        else llm_server.oracle(req, n))
    p = subprocess.run(args, env=env(), capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "Batches: 1 (1 ended); 0 requests sent this run, 2 answers read, 1 failed."
    assert lines[1] == ("Pre-labelled 2 of 3 samples (1 failed) with llm:openai/gpt-4o-mini: 0 calls, 0 from cache, "
                        "0 retries, 200 input and 40 output tokens, cost $0.0000 at the batch price. Wrote "
                        f"{out}.")
    assert lines[2:] == ["- failed s1: batch batch_0002: the request expired: the batch did not run it within its "
                         "24 h window", "Ask live for what the batches failed with --retry-failed."]
    p = subprocess.run(args[:-1] + ["--batch-status"], env=env(), capture_output=True, text=True, timeout=120)
    assert "batch_0002  openai/gpt-4o-mini  expired: 3 requests (3 total, 2 completed, 1 failed)" in p.stdout
    assert "; 200 input and 40 output tokens, $0.0000 at the batch price" in p.stdout

    llm_server.policy = llm_server.oracle
    p = subprocess.run(args + ["--retry-failed", "--json"], env=env(), capture_output=True, text=True, timeout=120)
    summary = json.loads(p.stdout)
    assert (summary["predicted"], summary["cached"], summary["calls"], summary["batch"]["retried_live"]) == (3, 2, 1, 1)
    assert len(llm_server.batches) == 1
    assert [s.annotations[-1].values["preference"] for s in load(out).samples] == ["1", "0", "0"]
