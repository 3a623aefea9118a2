"""Server pieces that need no running Label Studio: finding it, ports, Docker absence, settings."""

from __future__ import annotations

import socket
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from labelloop.annotate.labelstudio import Credentials, LabelStudioServer
from labelloop.annotate.labelstudio.client import is_personal_access_token
from labelloop.annotate.labelstudio.project import connect
from labelloop.annotate.labelstudio.server import (
    _alive,
    _group_alive,
    _proc_start_time,
    database_env,
    find_label_studio,
    label_studio_version,
)
from labelloop.cli import main
from labelloop.errors import LabelloopError, MissingDependencyError, ParameterError


def test_explicit_executable_must_exist(tmp_path, monkeypatch):
    monkeypatch.delenv("LABELLOOP_LABEL_STUDIO_BIN", raising=False)
    with pytest.raises(MissingDependencyError, match=f"{tmp_path / 'nope'} does not exist"):
        find_label_studio(tmp_path / "nope")
    fake = tmp_path / "bin" / "label-studio"
    fake.parent.mkdir()
    fake.write_text(f"#!{sys.executable}\nprint('hi')\n")
    fake.chmod(0o755)
    assert find_label_studio(tmp_path / "bin") == str(fake)
    monkeypatch.setenv("LABELLOOP_LABEL_STUDIO_BIN", str(fake))
    assert find_label_studio() == str(fake)
    assert label_studio_version(str(fake)) is None  # this interpreter has no label-studio


def test_missing_label_studio_is_one_clear_sentence(tmp_path, monkeypatch):
    monkeypatch.delenv("LABELLOOP_LABEL_STUDIO_BIN", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    with pytest.raises(MissingDependencyError, match=r"Label Studio is not installed: install it with pip install"):
        find_label_studio()


def test_docker_mode_without_docker_says_so(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("LABELLOOP_DOCKER", str(tmp_path / "no-docker"))
    with pytest.raises(SystemExit) as exc:
        main(["labelstudio", "start", "--docker", "--data-dir", str(tmp_path / "d"), "--port", "0"])
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("error: Neither mode can run: Docker is not installed") and "Traceback" not in err
    fake = tmp_path / "docker"  # a docker client with no engine behind it
    fake.write_text("#!/bin/sh\necho 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock.' >&2\n"
                    "exit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("LABELLOOP_DOCKER", str(fake))
    with pytest.raises(ParameterError) as engine:
        LabelStudioServer(tmp_path / "d2", port=0, docker=True).start()
    assert engine.value.render(lambda p: f"--{p}") == (
        "No Docker engine answers (docker info: Cannot connect to the Docker daemon at unix:///var/run/docker.sock.); "
        "start one, or install the labelstudio extra and leave out --docker.")


def test_a_taken_port_is_an_error_and_the_default_moves_on(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(ParameterError) as taken:
            LabelStudioServer(tmp_path, port=port)._choose_port()
        assert (taken.value.param, str(taken.value)) == ("port", f"Port {port} on 127.0.0.1 is taken; choose another "
                                                         "with port (or leave port out to take the next free one).")
    chosen, note = LabelStudioServer(tmp_path, port=0)._choose_port()
    assert chosen > 0 and note is None


def test_database_url_becomes_label_studio_settings():
    env = database_env("postgresql://ann:p%40ss@db.internal:6543/labels")
    assert {k: v for k, v in env.items() if not k.startswith("LABEL_STUDIO_")} == {
        "DJANGO_DB": "default", "POSTGRE_NAME": "labels", "POSTGRE_USER": "ann", "POSTGRE_PASSWORD": "p@ss",
        "POSTGRE_HOST": "db.internal", "POSTGRE_PORT": "6543"}
    assert env["LABEL_STUDIO_POSTGRE_PASSWORD"] == "p@ss"
    with pytest.raises(ParameterError) as other:
        database_env("mysql://x@y/z")
    assert other.value.render(lambda p: f"--{p}") == (
        "--database 'mysql://x@y/z': only postgresql://user:password@host:port/name URLs are supported.")


def test_env_keeps_secrets_out_of_argv_and_the_internet_out(tmp_path, monkeypatch):
    monkeypatch.setenv("HOST", "somewhere-else")  # zsh sets HOST; Label Studio must not take it as its URL
    server = LabelStudioServer(tmp_path, port=0)
    creds = Credentials(url="http://127.0.0.1:5", email="a@example.com", password="pw", token="tok")
    env = server._env(creds, 5)
    assert env["LABEL_STUDIO_HOST"] == "http://127.0.0.1:5"
    assert (env["LABEL_STUDIO_USERNAME"], env["LABEL_STUDIO_PASSWORD"], env["LABEL_STUDIO_USER_TOKEN"]) == (
        "a@example.com", "pw", "tok")
    assert env["LABEL_STUDIO_LATEST_VERSION_CHECK"] == "false" and env["LABEL_STUDIO_SENTRY_DSN"] == ""
    assert env["LABEL_STUDIO_COLLECT_ANALYTICS"] == "false" and env["FRONTEND_SENTRY_DSN"] == ""
    assert "127.0.0.0/8" not in env["LABEL_STUDIO_USER_ADDITIONAL_BANNED_SUBNETS"]
    assert "169.254.0.0/16" in env["LABEL_STUDIO_USER_ADDITIONAL_BANNED_SUBNETS"]
    public = LabelStudioServer(tmp_path, port=0, bind="0.0.0.0")._env(creds, 5)
    assert "LABEL_STUDIO_USE_DEFAULT_BANNED_SUBNETS" not in public


def test_credentials_file_is_private(tmp_path):
    path = Credentials(url="u", email="e", password="p", token="t").save(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Credentials.load(tmp_path) == Credentials(url="u", email="e", password="p", token="t")


def test_connect_reads_the_data_dir_and_names_what_is_missing(tmp_path, monkeypatch):
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    with pytest.raises(LabelloopError, match="No Label Studio to talk to"):
        connect(data_dir=tmp_path)
    Credentials(url="http://127.0.0.1:1", email="e", password="p", token="tok").save(tmp_path)
    c = connect(data_dir=tmp_path)
    assert (c.url, c.token) == ("http://127.0.0.1:1", "tok")
    with pytest.raises(LabelloopError, match="No API token for http://127.0.0.1:2"):
        connect("http://127.0.0.1:2", data_dir=tmp_path)


def test_token_kinds():
    pat = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ0b2tlbl90eXBlIjoicmVmcmVzaCIsInVzZXJfaWQiOiIxIn0."
           "5Ad90F1NI-6xbLS2_ixveeuBNVqqTC_h3S39eYSJGNk")
    assert is_personal_access_token(pat)
    assert not is_personal_access_token("a" * 40)
    assert not is_personal_access_token("a.b.c")


def test_stop_touches_only_its_own_process_group(tmp_path):
    """A pid whose start time differs (a recycled pid) is not ours: stop leaves it alone."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    try:
        start = _proc_start_time(proc.pid)
        assert _alive(proc.pid, start) and _group_alive(proc.pid)
        assert not _alive(proc.pid, "1")  # wrong start time: someone else's process
        state = {"mode": "pip", "pid": proc.pid, "pgid": proc.pid, "proc_start": "1", "url": "http://127.0.0.1:1"}
        server = LabelStudioServer(tmp_path)
        server._kill(state, grace=0.5)
        assert proc.poll() is None  # untouched
        server._kill({**state, "proc_start": start}, grace=5)
        assert proc.wait(timeout=10) != 0
        assert not _group_alive(proc.pid)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_status_and_stop_with_nothing_started(tmp_path, capsys):
    main(["labelstudio", "status", "--data-dir", str(tmp_path)])
    assert f"No Label Studio started from {tmp_path}." in capsys.readouterr().out
    main(["labelstudio", "stop", "--data-dir", str(tmp_path)])
    assert "No Label Studio started from" in capsys.readouterr().out
    assert not Path(tmp_path / "server.json").exists()
