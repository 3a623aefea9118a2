"""A PostgreSQL server of its own for a Label Studio data dir: ``labelstudio start --postgres``.

Label Studio's documentation advises PostgreSQL over SQLite past about 100,000 tasks or five annotators at once.
This runs Debian's (or any installed) PostgreSQL binaries on a cluster inside the data dir: ``initdb`` once,
``pg_ctl start`` on a free loopback port with its socket inside the cluster, a role and a database for Label
Studio with a generated password (kept in the cluster's ``labelloop.json``, readable only by its owner), and
``pg_ctl stop`` when the Label Studio server stops. Nothing listens beyond 127.0.0.1.

PostgreSQL refuses to run as root. Started by root, the cluster belongs to the ``postgres`` system user that
Debian's package makes and lives in that user's home (``~postgres/labelloop/<data dir's hash>``), which it can
reach whatever the data dir's parents allow; the data dir's ``postgres/labelloop.json`` says where.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import pwd
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from labelloop.annotate.labelstudio.ports import free_port, port_is_free
from labelloop.errors import MissingDependencyError, ServerError

FOLDER = "postgres"
INFO_FILE = "labelloop.json"
ROLE = "labelstudio"
DATABASE = "labelstudio"
BIN_ENV = "LABELLOOP_PG_BIN"  # a folder holding initdb, pg_ctl, postgres
INSTALL = ("PostgreSQL's server programs (initdb, pg_ctl) were not found: install Debian's package "
           "(apt-get install postgresql), or name their folder in $" + BIN_ENV + ".")


def find_bindir(explicit: str | None = None) -> Path:
    """The folder with ``initdb`` and ``pg_ctl``: ``$LABELLOOP_PG_BIN``, ``pg_config --bindir``, the newest
    ``/usr/lib/postgresql/*/bin`` (where Debian keeps them, off the PATH), or the PATH."""
    given = explicit or os.environ.get(BIN_ENV)
    candidates: list[Path] = [Path(given)] if given else []
    pg_config = shutil.which("pg_config")
    if pg_config and not given:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True)
        if out.returncode == 0 and out.stdout.strip():
            candidates.append(Path(out.stdout.strip()))
    if not given:
        def major(p: str) -> float:
            try:
                return float(Path(p).parent.name)
            except ValueError:
                return 0.0

        candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=major, reverse=True)]
        initdb = shutil.which("initdb")
        if initdb:
            candidates.append(Path(os.path.realpath(initdb)).parent)
    for d in candidates:
        if (d / "initdb").is_file() and (d / "pg_ctl").is_file():
            return d
    raise MissingDependencyError(INSTALL if not given else f"${BIN_ENV} names {given}, which holds no initdb and "
                                 "pg_ctl.")


@dataclass
class LocalPostgres:
    """The cluster in ``<data_dir>/postgres``: ``start()`` (idempotent) gives Label Studio's database URL."""

    data_dir: Path
    bindir: Path | None = None

    @property
    def folder(self) -> Path:
        return Path(self.data_dir) / FOLDER

    @property
    def home(self) -> Path:
        """Where the cluster and its log live: the data dir's folder, or (run by root) the postgres user's."""
        owner = self._owner()
        if owner is None:
            return self.folder
        digest = hashlib.sha256(str(Path(self.data_dir).absolute()).encode()).hexdigest()[:16]
        return Path(owner.pw_dir) / "labelloop" / digest

    @property
    def log_path(self) -> Path:
        return self.home / "postgres.log"

    # ------------------------------------------------------------------ running as whom
    def _owner(self) -> pwd.struct_passwd | None:
        """Root cannot run PostgreSQL: then the ``postgres`` system user does (None: the current user)."""
        if os.geteuid() != 0:
            return None
        try:
            return pwd.getpwnam("postgres")
        except KeyError:
            raise ServerError("PostgreSQL does not run as root, and this machine has no 'postgres' user to run it "
                              "as: install Debian's postgresql package (it makes that user), or run labelloop "
                              "as another user.") from None

    def _exec(self, args: list[str], *, env: dict[str, str] | None = None,
              timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run a PostgreSQL program as the cluster's owner, without the caller's ``PG*`` settings."""
        owner = self._owner()
        as_owner: dict = {"user": owner.pw_uid, "group": owner.pw_gid, "extra_groups": []} if owner else {}
        clean = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        clean["LC_ALL"] = clean.get("LC_ALL") or "C.UTF-8"
        return subprocess.run(list(args), capture_output=True, text=True, env={**clean, **(env or {})},
                              timeout=timeout, cwd="/", stdin=subprocess.DEVNULL, **as_owner)

    def _run(self, args: list[str], *, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        out = self._exec(args, timeout=timeout)
        if check and out.returncode != 0:
            said = (out.stderr or out.stdout).strip().splitlines()
            raise ServerError(f"PostgreSQL's {Path(args[0]).name} failed (exit {out.returncode}): "
                              f"{said[-1] if said else 'no message'}; see {self.log_path}.")
        return out

    def _bin(self, name: str) -> str:
        if self.bindir is None:
            self.bindir = find_bindir()
        return str(self.bindir / name)

    # ------------------------------------------------------------------ the cluster
    def info(self) -> dict | None:
        try:
            return json.loads((self.folder / INFO_FILE).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return None

    def _init(self) -> dict:
        owner = self._owner()
        self.folder.mkdir(mode=0o700, exist_ok=True)
        home = self.home
        if owner is not None:
            home.mkdir(parents=True, mode=0o700, exist_ok=True)
            for p in (home.parent, home):
                os.chown(p, owner.pw_uid, owner.pw_gid)
        cluster = home / "data"
        if cluster.exists():  # a cluster left from an earlier data dir at this path, its password lost
            shutil.rmtree(cluster)
        password = secrets.token_urlsafe(18)
        pwfile = home / "pw.tmp"
        pwfile.write_text(password + "\n", encoding="utf-8")
        os.chmod(pwfile, 0o600)
        if owner is not None:
            os.chown(pwfile, owner.pw_uid, owner.pw_gid)
        try:
            self._run([self._bin("initdb"), "-D", str(cluster), "-U", ROLE, "--pwfile", str(pwfile),
                       "--auth-local=scram-sha-256", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-instructions"],
                      timeout=300)
        finally:
            pwfile.unlink(missing_ok=True)
        info = {"port": free_port(), "role": ROLE, "password": password, "database": DATABASE,
                "cluster": str(cluster), "created": False}
        self._write_info(info)
        return info

    def _write_info(self, info: dict) -> None:
        path = self.folder / INFO_FILE
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(info, fh, indent=2)

    def running(self) -> bool:
        info = self.info()
        if info is None:
            return False
        out = self._run([self._bin("pg_ctl"), "status", "-D", info["cluster"]], check=False, timeout=30)
        return out.returncode == 0

    def start(self) -> str:
        """Start the cluster (made the first time) and give Label Studio's ``postgresql://`` URL."""
        info = self.info() or self._init()
        if not self.running():
            if not port_is_free(int(info["port"])):
                info["port"] = free_port()
                self._write_info(info)
            opts = (f"-c listen_addresses=127.0.0.1 -c port={info['port']} "
                    f"-c unix_socket_directories={Path(info['cluster']).parent}")
            owner = self._owner()
            if owner is not None and not self.log_path.exists():
                self.log_path.touch(mode=0o600)
                os.chown(self.log_path, owner.pw_uid, owner.pw_gid)
            self._run([self._bin("pg_ctl"), "start", "-w", "-t", "120", "-D", info["cluster"], "-l",
                       str(self.log_path), "-o", opts], timeout=180)
        if not info.get("created"):
            self._create_database(info)
        user = quote(str(info["role"]), safe="")
        return (f"postgresql://{user}:{quote(str(info['password']), safe='')}@127.0.0.1:{info['port']}/"
                f"{info['database']}")

    def _create_database(self, info: dict) -> None:
        env = {"PGPASSWORD": str(info["password"])}
        psql = [self._bin("psql"), "-h", "127.0.0.1", "-p", str(info["port"]), "-U", str(info["role"]), "-d",
                "postgres", "-tAc"]
        q = self._exec([*psql, f"SELECT 1 FROM pg_database WHERE datname = '{info['database']}'"], env=env,
                       timeout=60)
        if q.returncode != 0:
            raise ServerError(f"The local PostgreSQL does not answer psql: {q.stderr.strip()}")
        if q.stdout.strip() != "1":
            c = self._exec([*psql, f'CREATE DATABASE "{info["database"]}"'], env=env, timeout=60)
            if c.returncode != 0:
                raise ServerError(f"Cannot create the database for Label Studio: {c.stderr.strip()}")
        info["created"] = True
        self._write_info(info)

    def stop(self) -> bool:
        """Stop the cluster (fast shutdown); False when it was not running."""
        info = self.info()
        if info is None or not self.running():
            return False
        self._run([self._bin("pg_ctl"), "stop", "-w", "-t", "60", "-m", "fast", "-D", info["cluster"]], timeout=90)
        return True


__all__ = ["LocalPostgres", "find_bindir"]
