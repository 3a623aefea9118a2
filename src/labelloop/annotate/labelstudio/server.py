"""Start, stop and inspect a local Label Studio: pip mode (a ``label-studio`` executable) or Docker.

Safe by default: bound to 127.0.0.1, an admin with a generated password, credentials and API token
in a file only the user can read, no update check / telemetry / error reporting to the internet,
and ``stop`` ends only the process group (or container) this module started, found by its state
file — never processes found by name. The data directory is never deleted.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from labelloop.annotate.labelstudio.client import LabelStudioClient
from labelloop.annotate.labelstudio.ports import free_port, port_is_free
from labelloop.annotate.labelstudio.postgres import LocalPostgres
from labelloop.data.io import atomic_open
from labelloop.errors import AuthError, LabelStudioError, MissingDependencyError, ParameterError, ServerError
from labelloop.urls import same_url

DEFAULT_DATA_DIR = Path(".labelloop") / "label-studio"
DEFAULT_PORT = 8080
DEFAULT_EMAIL = "admin@example.com"
DEFAULT_IMAGE = "heartexlabs/label-studio:latest"
STATE_FILE = "server.json"
CREDENTIALS_FILE = "credentials.json"
LOG_FILE = "label-studio.log"
SQLITE_FILE = "label_studio.sqlite3"
BIN_ENV = "LABELLOOP_LABEL_STUDIO_BIN"
WAIT_NOTE_EVERY = 15  # seconds between the notes while Label Studio starts


# Label Studio's own list of networks its webhooks and ML backend calls may not reach (SSRF protection),
# without loopback: labelloop's ML backend and webhook receivers run on 127.0.0.1 beside it.
BANNED_BUT_LOOPBACK = (
    "0.0.0.0/8,10.0.0.0/8,100.64.0.0/10,169.254.0.0/16,172.16.0.0/12,192.0.0.0/24,192.0.2.0/24,192.88.99.0/24,"
    "192.168.0.0/16,198.18.0.0/15,198.51.100.0/24,203.0.113.0/24,224.0.0.0/4,233.252.0.0/24,240.0.0.0/4,"
    "255.255.255.255/32,::/128,::ffff:0:0/96,::ffff:0:0:0/96,64:ff9b::/96,64:ff9b:1::/48,100::/64,2001:0000::/32,"
    "2001:20::/28,2001:db8::/32,2002::/16,fc00::/7,fe80::/10,ff00::/8"
)


# ---------------------------------------------------------------------- credentials and state
@dataclass
class Credentials:
    url: str
    email: str
    password: str
    token: str
    personal_access_token: str | None = None

    def save(self, data_dir: Path) -> Path:
        path = data_dir / CREDENTIALS_FILE
        with atomic_open(path, perm=0o600) as fh:  # secrets: readable only by their owner
            json.dump(asdict(self), fh, indent=2)
        return path

    @classmethod
    def load(cls, data_dir: str | Path) -> Credentials | None:
        path = Path(data_dir) / CREDENTIALS_FILE
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(**{k: data.get(k) for k in ("url", "email", "password", "token", "personal_access_token")})
        except (OSError, json.JSONDecodeError, TypeError) as exc:
            raise ServerError(f"Cannot read the credentials file {path}: {exc}.") from None


def read_state(data_dir: str | Path) -> dict[str, Any] | None:
    path = Path(data_dir) / STATE_FILE
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ServerError(f"Cannot read the server state file {path}: {exc}.") from None


# where data dirs are looked for when none is found where a command looked: the working directory and three
# levels below it, not in virtualenvs, caches or version control
_SKIP_DIRS = {".git", "node_modules", "__pycache__", ".venv", ".tox", ".mypy_cache", ".pytest_cache", ".ruff_cache",
              "site-packages", "cache"}


def existing_data_dirs(root: str | Path = ".", depth: int = 3) -> list[tuple[Path, bool]]:
    """The Label Studio data dirs (a credentials or server state file in them) under ``root``, each with whether
    the server started from it is running; paths relative to ``root`` when they are under it."""
    root = Path(root)
    found: list[tuple[Path, bool]] = []

    def walk(d: Path, level: int) -> None:
        if (d / CREDENTIALS_FILE).is_file() or (d / STATE_FILE).is_file():
            found.append((d, LabelStudioServer(d).running()))
            return
        if level >= depth:
            return
        try:
            subs = sorted(p for p in d.iterdir() if p.is_dir() and not p.is_symlink())
        except OSError:
            return
        for sub in subs:
            if sub.name not in _SKIP_DIRS and not sub.name.startswith(".venv"):
                walk(sub, level + 1)

    walk(root, 0)
    return [(p.relative_to(root) if p != root else Path("."), up) for p, up in found]


def data_dirs_hint(looked_in: str | Path, root: str | Path = ".") -> str:
    """One sentence naming the Label Studio data dirs that exist (other than ``looked_in``), running ones first,
    or that there are none; for the messages of commands that found no server."""
    here = Path(looked_in).expanduser().absolute()
    dirs = [(p, up) for p, up in existing_data_dirs(root) if (Path(root) / p).absolute() != here]
    if not dirs:
        other = "other " if here.is_dir() else ""
        return f"No {other}Label Studio data dir is in the working directory (nor 3 levels below it)."
    dirs.sort(key=lambda d: not d[1])
    named = ", ".join(f"{p} ({'running' if up else 'stopped'})" for p, up in dirs)
    return f"Label Studio data dirs here: {named}; pass one with --data-dir."


def _write_state(data_dir: Path, state: dict[str, Any]) -> None:
    with atomic_open(data_dir / STATE_FILE, perm=0o600) as fh:  # the data dir is private, and so is all in it
        json.dump(state, fh, indent=2)


# ---------------------------------------------------------------------- finding Label Studio
def find_label_studio(explicit: str | Path | None = None) -> str:
    """The ``label-studio`` executable: the option, ``$LABELLOOP_LABEL_STUDIO_BIN``, PATH, or beside Python."""
    given = explicit or os.environ.get(BIN_ENV)
    if given:
        path = Path(given).expanduser().absolute()
        if path.is_dir():
            path = path / "label-studio"
        if not (path.is_file() and os.access(path, os.X_OK)):
            raise MissingDependencyError(f"The Label Studio executable {path} does not exist or cannot be run.")
        return str(path)
    on_path = shutil.which("label-studio")
    if on_path:
        return on_path
    beside = Path(sys.executable).parent / "label-studio"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    raise MissingDependencyError(
        "Label Studio is not installed: install it with pip install 'labelloop[labelstudio]' (or into its own "
        f"virtualenv with scripts/install-label-studio and pass --label-studio-bin or set {BIN_ENV}), "
        "or run it in Docker with --docker."
    )


def label_studio_version(binary: str) -> str | None:
    """The installed version, read from the executable's own interpreter without starting Django."""
    try:
        first = Path(binary).read_text(encoding="utf-8", errors="replace").split("\n", 1)[0]
    except OSError:
        return None
    python = first[2:].strip().split(" ")[0] if first.startswith("#!") else ""
    if not python or not Path(python).exists():
        return None
    try:
        out = subprocess.run([python, "-c", "import importlib.metadata as m; print(m.version('label-studio'))"],
                             capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() or None


def _version_tuple(v: str | None) -> tuple[int, ...]:
    parts = []
    for x in (v or "0").split(".")[:3]:
        digits = "".join(ch for ch in x if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


# ---------------------------------------------------------------------- ports and processes
def _proc_start_time(pid: int) -> str | None:
    """The kernel's start time of a process, so a recycled pid is never mistaken for ours."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def _alive(pid: int, start_time: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    with contextlib.suppress(ChildProcessError, OSError):  # reap it if it is our own child
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    if start_time is not None and Path("/proc").is_dir():
        now = _proc_start_time(pid)
        if now is None or now != start_time:
            return False
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if state == "Z":
            return False
    return True


def _group_alive(pgid: int) -> bool:
    """Whether any live (non-zombie) process is left in the group."""
    if Path("/proc").is_dir():
        for d in Path("/proc").iterdir():
            if not d.name.isdigit():
                continue
            try:
                fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                return True
        return False
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _tail(path: Path, lines: int = 25) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    keep = [ln for ln in text.splitlines() if ln.strip() and "faker" not in ln and "locale `" not in ln]
    return "\n".join(keep[-lines:])


def database_env(url: str) -> dict[str, str]:
    """Label Studio's own settings (``DJANGO_DB``, ``POSTGRE_*``) for a ``postgresql://`` URL."""
    u = urlparse(url)
    if u.scheme not in ("postgres", "postgresql"):
        raise ParameterError("database", f"{{param}} {ParameterError.literal(repr(url))}: only "
                                         "postgresql://user:password@host:port/name URLs are supported.")
    env = {
        "DJANGO_DB": "default",
        "POSTGRE_NAME": (u.path or "/postgres").lstrip("/") or "postgres",
        "POSTGRE_USER": unquote(u.username or "postgres"),
        "POSTGRE_PASSWORD": unquote(u.password or ""),
        "POSTGRE_HOST": u.hostname or "localhost",
        "POSTGRE_PORT": str(u.port or 5432),
    }
    return {**env, **{f"LABEL_STUDIO_{k}": v for k, v in env.items()}}


# ---------------------------------------------------------------------- the server
@dataclass
class ServerInfo:
    url: str
    email: str
    credentials_file: str
    data_dir: str
    mode: str
    version: str | None
    pid: int | None = None
    container: str | None = None
    log_file: str | None = None
    already_running: bool = False
    port_note: str | None = None
    database: str | None = None  # sqlite | postgresql (a server given by URL) | postgresql-local (the data dir's own)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class LabelStudioServer:
    """One Label Studio per data directory. ``start()`` is idempotent: a running server is reused."""

    def __init__(self, data_dir: str | Path = DEFAULT_DATA_DIR, *, port: int | None = None,
                 host: str | None = None, bind: str = "127.0.0.1", docker: bool = False,
                 image: str = DEFAULT_IMAGE, volume: str | None = None, database: str | None = None,
                 username: str | None = None, password: str | None = None,
                 label_studio_bin: str | Path | None = None, timeout: float = 240.0,
                 allow_loopback_hooks: bool | None = None, log: Callable[[str], None] | None = None,
                 postgres: bool = False) -> None:
        self.data_dir = Path(data_dir).expanduser().absolute()
        self.port = port
        self.host = host
        self.bind = bind
        self.docker = docker
        self.image = image
        self.volume = volume
        self.database = database
        self.postgres = postgres
        self.username = username
        self.password = password
        self.label_studio_bin = label_studio_bin
        self.timeout = timeout
        # Reachable only from this machine, Label Studio may call webhooks / ML backends on 127.0.0.1 too.
        self.allow_loopback_hooks = bind.startswith("127.") if allow_loopback_hooks is None else allow_loopback_hooks
        self.log = log or (lambda msg: None)
        self._proc: subprocess.Popen[bytes] | None = None
        self.stopped_postgres = False  # whether stop() stopped the data dir's own PostgreSQL

    # ------------------------------------------------------------------ paths
    @property
    def log_path(self) -> Path:
        return self.data_dir / LOG_FILE

    @property
    def credentials_path(self) -> Path:
        return self.data_dir / CREDENTIALS_FILE

    def credentials(self) -> Credentials | None:
        return Credentials.load(self.data_dir)

    def client(self) -> LabelStudioClient:
        creds = self.credentials()
        if creds is None:
            raise ServerError(f"No Label Studio credentials in {self.data_dir}; start it with labelloop labelstudio "
                              "start.")
        return LabelStudioClient(creds.url, creds.token)

    # ------------------------------------------------------------------ start
    def _make_private(self) -> None:
        """The data dir 0700 and the files directly in it 0600, however they were made: the database holds the
        admin's token, the credentials file the password. Label Studio itself runs with umask 077."""
        try:
            os.chmod(self.data_dir, 0o700)
            for f in self.data_dir.iterdir():
                if not f.is_symlink() and f.is_file() and f.stat().st_mode & 0o077:
                    os.chmod(f, 0o600)
        except OSError as exc:
            why = ParameterError.literal(f"{self.data_dir} readable only by you ({exc})")
            raise ParameterError("data_dir", f"Cannot make the Label Studio data dir {why}; it holds the admin token: "
                                             "fix its owner or choose another {param}.") from None

    def start(self) -> ServerInfo:
        if not self.data_dir.exists():
            self.data_dir.mkdir(parents=True, mode=0o700)  # Label Studio keeps its secret key in here
        self._make_private()
        running = self._running_info()
        if running is not None:
            return running
        port, note = self._choose_port()
        if note:
            self.log(note)
        pg = self._database()
        old = self.credentials()
        url = (self.host or f"http://{'127.0.0.1' if self.bind in ('0.0.0.0', '') else self.bind}:{port}").rstrip("/")
        changed = (self.username, self.password) != (None, None) and old is not None
        if changed and old and (self.username or old.email, self.password or old.password) != (old.email, old.password):
            self.log(f"The admin account of {self.data_dir} already exists; its login stays as in "
                     f"{self.credentials_path}.")
        creds = Credentials(
            url=url,
            email=old.email if old else (self.username or DEFAULT_EMAIL),
            password=old.password if old else (self.password or secrets.token_urlsafe(18)),
            token=old.token if old else secrets.token_hex(20),
            personal_access_token=old.personal_access_token if old else None,
        )
        creds.save(self.data_dir)  # before start: the secrets exist only in this 0600 file and the child's env
        try:
            env = self._env(creds, port)
            if self.docker:
                state = self._start_docker(env, port)
            else:
                state = self._start_pip(env, port)
        except BaseException:
            if pg is not None:
                pg.stop()
            raise
        if pg is not None:
            state["postgres"] = str(pg.folder)
        state["database"] = "postgresql-local" if pg is not None else "postgresql" if self.database else "sqlite"
        state.update({"url": url, "port": port, "data_dir": str(self.data_dir),
                      "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds")})
        _write_state(self.data_dir, state)
        try:
            self._wait_healthy(url, state)
            creds = self._ensure_tokens(creds)
        except BaseException:
            self._kill(state)
            if pg is not None:
                pg.stop()
            with contextlib.suppress(OSError):
                (self.data_dir / STATE_FILE).unlink()
            raise
        version = LabelStudioClient(url).version() or state.get("version")
        state["version"] = version
        _write_state(self.data_dir, state)
        return ServerInfo(url=url, email=creds.email, credentials_file=str(self.credentials_path),
                          data_dir=str(self.data_dir), mode=state["mode"], version=version, pid=state.get("pid"),
                          container=state.get("container"), log_file=str(self.log_path), port_note=note,
                          database=state["database"])

    def _database(self) -> LocalPostgres | None:
        """The data dir's own PostgreSQL, started: with ``postgres``, or when the data dir was first started so (it
        keeps its database). A data dir whose projects are in SQLite is not switched over silently."""
        local = LocalPostgres(self.data_dir)
        has_local = local.info() is not None
        if self.postgres and self.database:
            raise ParameterError("postgres", "Give {param} (a PostgreSQL of the data dir's own) or --database (a "
                                             "server you run), not both.")
        if not (self.postgres or has_local) or self.database:
            return None
        if self.docker:
            raise ParameterError("postgres", "{param} runs PostgreSQL on this machine's loopback, which a Docker "
                                             "container does not reach; give --database with an address the "
                                             "container reaches.")
        if not has_local and (self.data_dir / SQLITE_FILE).exists():
            raise ParameterError("postgres", f"The Label Studio data dir {ParameterError.literal(str(self.data_dir))}"
                                             " keeps its projects in SQLite; started with {param} it would open on an "
                                             "empty PostgreSQL database and show none of them: use a new --data-dir "
                                             "for PostgreSQL.")
        self.log(f"Starting the data dir's PostgreSQL ({local.folder})…")
        self.database = local.start()
        return local

    def running(self) -> bool:
        """Whether the server this data dir started is running (its state file names a live process)."""
        try:
            state = read_state(self.data_dir)
        except ServerError:
            return False
        try:
            return state is not None and self._state_alive(state)
        except (OSError, KeyError, ValueError, subprocess.SubprocessError):
            return False

    def _running_info(self) -> ServerInfo | None:
        state = read_state(self.data_dir)
        if state is None:
            return None
        if not self._state_alive(state):
            (self.data_dir / STATE_FILE).unlink(missing_ok=True)
            return None
        creds = self.credentials()
        if creds is None or not LabelStudioClient(state["url"], retries=1).health():
            where = f"pid {state.get('pid')}" if state.get("pid") else f"container {state.get('container')}"
            raise ServerError(f"A Label Studio started from {self.data_dir} ({where}) is running but does not answer "
                              f"on {state['url']}; run labelloop labelstudio stop first.")
        return ServerInfo(url=state["url"], email=creds.email, credentials_file=str(self.credentials_path),
                          data_dir=str(self.data_dir), mode=state["mode"], version=state.get("version"),
                          pid=state.get("pid"), container=state.get("container"), log_file=str(self.log_path),
                          already_running=True, database=state.get("database"))

    def _choose_port(self) -> tuple[int, str | None]:
        host = "127.0.0.1" if self.bind in ("0.0.0.0", "") else self.bind
        if self.port == 0:
            return free_port(host), None
        if self.port is not None:
            if not port_is_free(self.port, host):
                raise ParameterError("port", f"Port {self.port} on {ParameterError.literal(host)} is taken; choose "
                                             "another with {param} (or leave {param} out to take the next free one).")
            return self.port, None
        port = DEFAULT_PORT
        while not port_is_free(port, host):
            port += 1
            if port > DEFAULT_PORT + 200:
                raise ParameterError("port", f"No free port between {DEFAULT_PORT} and {port} on "
                                             f"{ParameterError.literal(host)}; choose one with {{param}}.")
        note = None if port == DEFAULT_PORT else f"Port {DEFAULT_PORT} is taken; using {port}."
        return port, note

    def _env(self, creds: Credentials, port: int) -> dict[str, str]:
        ours = {
            "BASE_DATA_DIR": str(self.data_dir),
            "USERNAME": creds.email,
            "PASSWORD": creds.password,
            "USER_TOKEN": creds.token,
            "HOST": creds.url,
            "DISABLE_SIGNUP_WITHOUT_LINK": "true",
            "ENABLE_LEGACY_API_TOKEN": "true",  # 1.18+; 1.17 is switched on through the session instead
            # nothing reaches the internet: no update check, analytics or Sentry error reports
            "LATEST_VERSION_CHECK": "false",
            "APP_WEBSERVER": "uwsgi",  # 1.17 runs its PyPI update check at import unless this says uwsgi
            "COLLECT_ANALYTICS": "false",
            "SENTRY_DSN": "",
            "FRONTEND_SENTRY_DSN": "",
            "DEBUG": "false",
        }
        env = dict(os.environ)  # Label Studio reads LABEL_STUDIO_X before HEARTEX_X and X, so ours win
        env.update({f"LABEL_STUDIO_{k}": v for k, v in ours.items()})
        env.update({"SENTRY_DSN": "", "FRONTEND_SENTRY_DSN": "", "PYTHONUNBUFFERED": "1",
                    "LABEL_STUDIO_PORT": str(port)})
        if self.allow_loopback_hooks:
            env.update({"LABEL_STUDIO_USE_DEFAULT_BANNED_SUBNETS": "false",
                        "LABEL_STUDIO_USER_ADDITIONAL_BANNED_SUBNETS": BANNED_BUT_LOOPBACK})
        if self.database:
            env.update(database_env(self.database))
        return env

    def _start_pip(self, env: dict[str, str], port: int) -> dict[str, Any]:
        binary = find_label_studio(self.label_studio_bin)
        version = label_studio_version(binary)
        cmd = [binary, "start", "--no-browser", "--internal-host", self.bind, "--port", str(port),
               "--data-dir", str(self.data_dir)]
        with open(os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab") as log:
            log.write(f"\n==== labelloop: {' '.join(cmd)}\n".encode())
            log.flush()
            self._proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                          env=env, cwd=self.data_dir, start_new_session=True, umask=0o077)
        pid = self._proc.pid
        return {"mode": "pip", "pid": pid, "pgid": pid, "proc_start": _proc_start_time(pid), "bin": binary,
                "version": version, "log": str(self.log_path)}

    def _docker(self) -> str:
        docker = os.environ.get("LABELLOOP_DOCKER") or shutil.which("docker")
        if not docker or not Path(docker).exists():
            raise ParameterError("docker", "Neither mode can run: Docker is not installed (no docker on PATH); install "
                                           "the labelstudio extra (pip install 'labelloop[labelstudio]') and leave out "
                                           "{param}.")
        try:
            info = subprocess.run([docker, "info", "--format", "{{.ServerVersion}}"], capture_output=True,
                                  text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ServerError(f"Docker cannot run: {exc}.") from None
        if info.returncode != 0:
            first = (info.stderr or info.stdout).strip().splitlines()[:1]
            said = ParameterError.literal(first[0] if first else "failed")
            raise ParameterError("docker", f"No Docker engine answers (docker info: {said}); start one, or install the "
                                           "labelstudio extra and leave out {param}.")
        return docker

    def _start_docker(self, env: dict[str, str], port: int) -> dict[str, Any]:
        docker = self._docker()
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:10]
        volume = self.volume or f"labelloop-label-studio-{digest}"
        name = f"labelloop-label-studio-{port}"
        keys = [k for k in env if k.startswith("LABEL_STUDIO_") and k not in ("LABEL_STUDIO_BASE_DATA_DIR",)]
        keys += [k for k in ("SENTRY_DSN", "FRONTEND_SENTRY_DSN", "DJANGO_DB") if k in env]
        keys += [k for k in env if k.startswith("POSTGRE_")]
        cmd = [docker, "run", "-d", "--name", name, "-p", f"{self.bind}:{port}:8080",
               "-v", f"{volume}:/label-studio/data"]
        for k in keys:
            cmd += ["-e", k]  # values come from the environment, so secrets stay out of the process list
        docker_env = {**os.environ, **{k: env[k] for k in keys}, "LABEL_STUDIO_PORT": "8080"}
        cmd += [self.image, "label-studio", "start", "--no-browser", "--internal-host", "0.0.0.0", "--port", "8080"]
        out = subprocess.run(cmd, capture_output=True, text=True, env=docker_env, timeout=600)
        if out.returncode != 0:
            raise ServerError(f"docker run {self.image} failed: {(out.stderr or out.stdout).strip()[:300]}.")
        container = out.stdout.strip().splitlines()[-1]
        return {"mode": "docker", "container": container, "volume": volume, "image": self.image, "docker": docker}

    def _wait_healthy(self, url: str, state: dict[str, Any]) -> None:
        client = LabelStudioClient(url, retries=0, timeout=5)
        began = time.monotonic()
        deadline = began + self.timeout
        self.log(f"Starting Label Studio on {url} (the first start sets up its database: minutes on a small "
                 f"machine; its log: {self.log_path}).")
        told = 0
        try:
            while time.monotonic() < deadline:
                if client.health():
                    return
                waited = int(time.monotonic() - began)
                if waited >= told + WAIT_NOTE_EVERY:
                    told = waited - waited % WAIT_NOTE_EVERY
                    self.log(f"still starting Label Studio ({told} s)…")
                if not self._state_alive(state):
                    raise ServerError(f"Label Studio exited before it answered on {url}; last lines of "
                                      f"{self.log_path}:\n{self._log_tail(state)}")
                time.sleep(0.5)
        finally:
            client.close()
        raise ServerError(f"Label Studio did not answer {url}/health within {self.timeout:.0f} s; last lines of "
                          f"{self.log_path}:\n{self._log_tail(state)}")

    def _log_tail(self, state: dict[str, Any]) -> str:
        if state.get("mode") == "docker":
            out = subprocess.run([state["docker"], "logs", "--tail", "25", state["container"]], capture_output=True,
                                 text=True)
            return (out.stdout + out.stderr).strip()
        return _tail(self.log_path)

    def _ensure_tokens(self, creds: Credentials) -> Credentials:
        """Make the legacy token work (1.17: via the session) and keep a personal access token."""
        from labelloop.annotate.labelstudio import session

        with LabelStudioClient(creds.url, creds.token) as client:
            try:
                client.whoami()
            except AuthError:
                self.log("Switching on API tokens for the organisation (Label Studio 1.17 has them off).")
                session.enable_api_tokens(creds.url, creds.email, creds.password)
                client.whoami()
        if not creds.personal_access_token:
            try:
                creds.personal_access_token = session.create_personal_access_token(creds.url, creds.email,
                                                                                   creds.password)
            except LabelStudioError as exc:
                self.log(f"No personal access token: {exc}")
        creds.save(self.data_dir)
        return creds

    # ------------------------------------------------------------------ stop and status
    def _state_alive(self, state: dict[str, Any]) -> bool:
        if state.get("mode") == "docker":
            out = subprocess.run([state["docker"], "inspect", "-f", "{{.State.Running}}", state["container"]],
                                 capture_output=True, text=True)
            return out.returncode == 0 and out.stdout.strip() == "true"
        if self._proc is not None and self._proc.pid == state.get("pid"):
            return self._proc.poll() is None
        return _alive(int(state["pid"]), state.get("proc_start"))

    def _kill(self, state: dict[str, Any], grace: float = 20.0) -> None:
        if state.get("mode") == "docker":
            subprocess.run([state["docker"], "stop", state["container"]], capture_output=True)
            subprocess.run([state["docker"], "rm", state["container"]], capture_output=True)
            return
        pid, pgid = int(state["pid"]), int(state.get("pgid") or state["pid"])
        ours = self._proc is not None and self._proc.pid == pid
        if not ours and not _alive(pid, state.get("proc_start")):
            return  # already gone, or the pid now belongs to someone else: touch nothing
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if ours:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self._proc.wait(timeout=0.2)  # type: ignore[union-attr]
            else:
                _alive(pid, state.get("proc_start"))
                time.sleep(0.2)
            if not _group_alive(pgid):
                return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)
        if ours:
            self._proc.wait(timeout=10)  # type: ignore[union-attr]

    def stop(self) -> bool:
        """Stop the server this data directory started; False when none was running."""
        state = read_state(self.data_dir)
        if state is None:
            return False
        alive = self._state_alive(state)
        if alive:
            self._kill(state)
        if state.get("postgres"):
            self.stopped_postgres = LocalPostgres(self.data_dir).stop()
        (self.data_dir / STATE_FILE).unlink(missing_ok=True)
        return alive

    def status(self) -> dict[str, Any]:
        state = read_state(self.data_dir)
        creds = self.credentials()
        out: dict[str, Any] = {"data_dir": str(self.data_dir), "running": False,
                               "credentials_file": str(self.credentials_path) if creds else None,
                               "log_file": str(self.log_path) if self.log_path.exists() else None}
        if state is None:
            return out
        out.update({k: state.get(k) for k in ("url", "mode", "pid", "pgid", "container", "version", "started_at",
                                               "bin", "database", "postgres")})
        out["running"] = self._state_alive(state)
        # the token goes only to the server the credentials were written for, whatever server.json says
        same = creds is not None and same_url(str(state.get("url") or ""), creds.url)
        client = LabelStudioClient(state["url"], creds.token if same else None, retries=0, timeout=10)
        try:
            out["health"] = out["running"] and client.health()
            out["version"] = (client.version() if out["health"] else None) or state.get("version")
            if out["health"] and same:
                try:
                    client.whoami()
                    out["api"] = "ok"
                except LabelStudioError as exc:
                    out["api"] = str(exc)
            else:
                out["api"] = None
        finally:
            client.close()
        return out
