"""Finding the server as the README's commands do after ./scripts/demo: the default data dir, no flags; the demo
script's --help and --port; the notes while Label Studio starts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from labelloop.annotate.labelstudio import Credentials
from labelloop.annotate.labelstudio.server import data_dirs_hint, existing_data_dirs, free_port

from .conftest import REPO

LABELLOOP = [str(Path(sys.executable).parent / "labelloop")]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY")}
    return subprocess.run([*LABELLOOP, *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=600)


def test_demo_help_and_bad_port():
    shown = subprocess.run(["bash", str(REPO / "scripts" / "demo"), "--help"], capture_output=True, text=True,
                           timeout=60)
    assert shown.returncode == 0
    assert shown.stdout.startswith("Usage: scripts/demo [--port PORT] [--help]\n")
    assert "LABELLOOP_DEMO_PORT" in shown.stdout and ".labelloop/label-studio" in shown.stdout
    bad = subprocess.run(["bash", str(REPO / "scripts" / "demo"), "--port", "http"], capture_output=True,
                         text=True, timeout=60)
    assert (bad.returncode, bad.stdout, bad.stderr) == (
        2, "", "scripts/demo: the port must be a number from 1 to 65535, not 'http'.\n")
    env = {**os.environ, "LABELLOOP_DEMO_PORT": "99999"}
    bad = subprocess.run(["bash", str(REPO / "scripts" / "demo")], capture_output=True, text=True, timeout=60,
                         env=env)
    assert (bad.returncode, bad.stderr) == (2, "scripts/demo: the port must be a number from 1 to 65535, not "
                                               "'99999'.\n")


def test_hint_names_the_data_dirs_that_exist(tmp_path):
    assert data_dirs_hint(tmp_path / ".labelloop/label-studio", tmp_path) == (
        "No Label Studio data dir is in the working directory (nor 3 levels below it).")
    (tmp_path / "out" / "label-studio").mkdir(parents=True)
    Credentials("http://127.0.0.1:1", "a@example.com", "p", "t").save(tmp_path / "out" / "label-studio")
    (tmp_path / ".venv-ls" / "x").mkdir(parents=True)
    (tmp_path / ".venv-ls" / "x" / "credentials.json").write_text("{}")  # never looked into
    assert existing_data_dirs(tmp_path) == [(Path("out/label-studio"), False)]
    assert data_dirs_hint(tmp_path / ".labelloop/label-studio", tmp_path) == (
        "Label Studio data dirs here: out/label-studio (stopped); pass one with --data-dir.")
    assert data_dirs_hint(tmp_path / "out/label-studio", tmp_path) == (
        "No other Label Studio data dir is in the working directory (nor 3 levels below it).")


@pytest.fixture(scope="module")
def demo_dir(ls_bin: str | None, tmp_path_factory: pytest.TempPathFactory):
    """A working directory where Label Studio was started as ./scripts/demo does: no --data-dir."""
    if ls_bin is None:
        pytest.fail("No Label Studio to test against: run scripts/install-label-studio.")
    cwd = tmp_path_factory.mktemp("demo-cwd")
    started = run("labelstudio", "start", "--port", str(free_port()), "--label-studio-bin", ls_bin, cwd=cwd)
    try:
        assert started.returncode == 0, started.stderr
        yield cwd, started
    finally:
        run("labelstudio", "stop", cwd=cwd)


def test_commands_find_the_demo_server_without_flags(demo_dir):
    cwd, started = demo_dir
    assert "Starting Label Studio on http://127.0.0.1:" in started.stderr
    assert "(the first start sets up its database: minutes on a small machine" in started.stderr
    data_dir = cwd / ".labelloop" / "label-studio"
    creds = Credentials.load(data_dir)
    assert creds is not None
    status = run("labelstudio", "status", cwd=cwd)
    assert status.returncode == 0, status.stderr
    lines = dict(line.split(None, 1) for line in status.stdout.splitlines() if line[:1] != " " and " " in line)
    assert (lines["running"], lines["url"], lines["api"]) == ("yes", creds.url, "ok")
    # a pull with no flags reaches it: project 999 does not exist there, and that is what it says
    pulled = run("labelstudio", "pull", "--project", "999", "-o", "x.jsonl", cwd=cwd)
    assert pulled.returncode != 0 and "999" in pulled.stderr and "No Label Studio to talk to" not in pulled.stderr
    # another data dir: the message names the running one
    other = run("labelstudio", "status", "--data-dir", "elsewhere", cwd=cwd)
    assert other.stdout == ("No Label Studio started from elsewhere. Label Studio data dirs here: "
                            ".labelloop/label-studio (running); pass one with --data-dir.\n")


def test_a_slow_start_says_what_is_happening(tmp_path, monkeypatch):
    """A label-studio that never answers: the start says what it waits for, then the elapsed time, then gives up
    with the log's last lines."""
    from labelloop.annotate.labelstudio import LabelStudioServer
    from labelloop.annotate.labelstudio import server as server_mod
    from labelloop.errors import ServerError

    fake = tmp_path / "bin" / "label-studio"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'migrating the database'\nexec sleep 30\n")
    fake.chmod(0o755)
    monkeypatch.setattr(server_mod, "WAIT_NOTE_EVERY", 1)
    said: list[str] = []
    srv = LabelStudioServer(tmp_path / "ls", port=0, label_studio_bin=fake, timeout=3.5, log=said.append)
    with pytest.raises(ServerError, match=r"did not answer .*/health within 4 s") as err:
        srv.start()
    assert "migrating the database" in str(err.value)
    url = said[0].split(" on ", 1)[1].split(" ", 1)[0]
    assert said[0] == (f"Starting Label Studio on {url} (the first start sets up its database: minutes on a small "
                       f"machine; its log: {tmp_path / 'ls' / 'label-studio.log'}).")
    # one note a second (a second is skipped only when a check of the port took longer than that)
    seconds = [int(n.removeprefix("still starting Label Studio (").removesuffix(" s)…")) for n in said[1:]]
    assert said[1:] == [f"still starting Label Studio ({n} s)…" for n in seconds]
    assert seconds[0] == 1 and seconds == sorted(set(seconds)) and 2 <= len(seconds) <= 3
    assert not srv.running()
