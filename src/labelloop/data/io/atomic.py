"""Atomic output: a file appears whole or not at all, and a group of files lands together.

A write goes to a temporary file beside its target and is renamed over it on success, so a crash or an
error never leaves a half-written dataset, export or page where a person would open it.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import os
import re
import secrets
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from labelloop.data.io.jsontext import LONE_SURROGATE, surrogate_clause
from labelloop.errors import OutputError

# Temporary files are ``.NAME.PID-HOST.RANDOM.tmp`` beside the output: a writer killed with -9 leaves one
# behind, and the next write of NAME removes it once its writer is gone (same host, process ended) or,
# when that cannot be told, once it is an hour old.
STALE_AFTER_S = 3600
HOST_TAG = hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:6]
_TEMP = r"\.{name}\.(?:(?P<pid>\d+)-(?P<host>[0-9a-f]{{6}})\.)?[0-9a-f]{{12}}\.tmp\Z"  # and before: no pid
_LIVE_TEMPS: set[str] = set()  # this process's temporary files still being written (absolute paths)
_GROUP: contextvars.ContextVar[list[tuple[Path, Path]] | None] = contextvars.ContextVar("atomic_group", default=None)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def _stale(entry: os.DirEntry, pid: str | None, host: str | None, now: float) -> bool:
    if pid is not None and host == HOST_TAG:
        if int(pid) == os.getpid():
            return os.path.abspath(entry.path) not in _LIVE_TEMPS  # left by an earlier process that had our pid
        if not pid_alive(int(pid)):
            return True
        return now - entry.stat(follow_symlinks=False).st_mtime > 24 * STALE_AFTER_S  # pid reused since
    return now - entry.stat(follow_symlinks=False).st_mtime > STALE_AFTER_S


def remove_stale_temps(path: str | Path) -> list[Path]:
    """Delete temporary files of earlier, crashed writes of ``path`` (only ours, only for that name)."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    removed: list[Path] = []
    prefix = f".{path.name}."
    ours = re.compile(_TEMP.format(name=re.escape(path.name)), re.S)
    now = time.time()
    try:
        with os.scandir(parent) as entries:
            for entry in entries:
                if not (entry.name.startswith(prefix) and entry.name.endswith(".tmp")):
                    continue
                m = ours.match(entry.name)
                if m is None or not entry.is_file(follow_symlinks=False):
                    continue
                with contextlib.suppress(OSError):
                    if _stale(entry, m["pid"], m["host"], now):
                        os.unlink(entry.path)
                        removed.append(Path(entry.path))
    except OSError:
        pass
    return removed


@contextlib.contextmanager
def atomic_group() -> Iterator[None]:
    """Writes inside the block land together: each is renamed into place only when the whole block
    succeeds, and on any error every one of them is removed (a multi-file export is all or nothing)."""
    if _GROUP.get() is not None:
        yield
        return
    pending: list[tuple[Path, Path]] = []
    token = _GROUP.set(pending)
    try:
        yield
    except BaseException:
        for tmp, _ in pending:
            with contextlib.suppress(OSError):
                tmp.unlink()
            _LIVE_TEMPS.discard(os.path.abspath(tmp))
        raise
    finally:
        _GROUP.reset(token)
    try:
        for tmp, final in pending:
            os.replace(tmp, final)
            _LIVE_TEMPS.discard(os.path.abspath(tmp))
    except OSError as exc:
        for tmp, _ in pending:
            with contextlib.suppress(OSError):
                tmp.unlink()
            _LIVE_TEMPS.discard(os.path.abspath(tmp))
        raise OutputError(f"Cannot write {final}: {exc.strerror or exc}.") from None


@contextlib.contextmanager
def atomic_path(path: str | Path, perm: int | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` only on success.

    The file gets ``perm`` (e.g. 0o600 for secrets), else the permissions a plain ``open`` would give.
    """
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temps(path)
        for _ in range(100):  # like mkstemp, but created with 0666 & ~umask (mkstemp's files are 0600)
            tmp = parent / f".{path.name}.{os.getpid()}-{HOST_TAG}.{secrets.token_hex(6)}.tmp"
            try:
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 if perm is None else perm)
                break
            except FileExistsError:
                continue
        else:
            raise FileExistsError(f"no free temporary name beside {path}")
        _LIVE_TEMPS.add(os.path.abspath(tmp))
        if perm is not None:
            os.fchmod(fd, perm)
        os.close(fd)
    except OSError as exc:
        raise OutputError(f"Cannot write {path}: {exc.strerror or exc}.") from None
    tmp_path = Path(tmp)
    group = _GROUP.get()
    try:
        yield tmp_path
        if group is not None:
            group.append((tmp_path, path))  # renamed when the group ends
        else:
            os.replace(tmp_path, path)
            _LIVE_TEMPS.discard(os.path.abspath(tmp_path))
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        _LIVE_TEMPS.discard(os.path.abspath(tmp_path))
        if isinstance(exc, UnicodeEncodeError):  # a writer that did not say which text: still one sentence
            ch = exc.object[exc.start]
            why = (surrogate_clause(ch) if LONE_SURROGATE.match(ch)
                   else f"the text holds {ch!r}, which {exc.encoding} cannot encode")
            raise OutputError(f"Cannot write {path}: {why}.") from None
        raise


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "w", *, perm: int | None = None, **kwargs: Any) -> Iterator[IO[Any]]:
    with atomic_path(path, perm) as tmp:
        if "b" not in mode:
            kwargs.setdefault("encoding", "utf-8")
            kwargs.setdefault("newline", "")
        with open(tmp, mode, **kwargs) as fh:
            yield fh
