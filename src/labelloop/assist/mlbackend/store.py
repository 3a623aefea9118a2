"""What the ML backend keeps on disk per project, and what a killed process left there.

A project's directory holds its label config, the annotations received (``events.jsonl``, appended), its
counters (``state.json``) and saved model versions (``versions/000007/``). Versions are written beside and
renamed in, and deleted by renaming out first, so a crash leaves only dot entries; those are removed on the
next start when their writer is gone, never while another backend on the same model dir may be writing.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labelloop.assist.mlbackend.protocol import BadRequest, ProjectConfig, project_key
from labelloop.assist.predictors import Predictor
from labelloop.data.io import (
    HOST_TAG,  # the writer's host tag in temp names: leftovers are judged by one rule, the one io uses
    STALE_AFTER_S,
    pid_alive,
    remove_stale_temps,
)

log = logging.getLogger("labelloop.mlbackend")


def is_project_dir(name: str) -> bool:
    try:
        return project_key(name) == name
    except BadRequest:
        return False


def saved_versions(vroot: Path) -> list[Path]:
    """A project's saved version directories, oldest first (temporary and half-deleted ones start with a dot)."""
    if not vroot.is_dir():
        return []
    return sorted((p for p in vroot.iterdir() if p.name.isdigit() and p.is_dir()), key=lambda p: int(p.name))


# Version directories being written (``.000007.PID-HOST.RANDOM``) or deleted (``.deleting-000002.PID-HOST``) name
# their writer like the temporary files of atomic writes do, and are judged by the same rule: another backend
# process on the same model dir may be writing one right now.
_OWNER = re.compile(r"\.(?P<pid>\d+)-(?P<host>[0-9a-f]{6})(?=\.|\Z)")
_TEMP_NAME = re.compile(r"\.(?P<name>.+?)\.(?:\d+-[0-9a-f]{6}\.)?[0-9a-f]{12}\.tmp\Z", re.S)
LIVE_DIRS: set[str] = set()  # this process's version directories being written or deleted (absolute paths)


def owner_tag() -> str:
    return f"{os.getpid()}-{HOST_TAG}"


def _newest_mtime(path: Path) -> float:
    """A directory's age is that of its newest entry: a model being saved into it keeps it young."""
    newest = path.lstat().st_mtime
    if path.is_dir() and not path.is_symlink():
        with os.scandir(path) as entries:
            for entry in entries:
                with contextlib.suppress(OSError):
                    newest = max(newest, entry.stat(follow_symlinks=False).st_mtime)
    return newest


def _leftover(path: Path, now: float) -> bool:
    """Whether a dot entry of ``versions/`` was left by a writer that is gone: on this host, its process ended
    (or, for this process, it is not one being written now); where that cannot be told, it is over
    ``STALE_AFTER_S`` old (``remove_stale_temps``' rule for temporary files)."""
    try:
        age = now - _newest_mtime(path)
    except OSError:
        return False
    m = _OWNER.search(path.name)
    if m is not None and m["host"] == HOST_TAG:
        pid = int(m["pid"])
        if pid == os.getpid():
            return os.path.abspath(path) not in LIVE_DIRS
        if not pid_alive(pid):
            return True
        return age > 24 * STALE_AFTER_S  # the pid was reused since
    return age > STALE_AFTER_S


def remove_leftovers(pdir: Path) -> None:
    """What a process killed mid-write left in a project's directory: version directories being written or
    deleted (``versions/.*``) and the temporary files of atomic writes (``.*.tmp``); never what a backend still
    running on the same model dir is writing."""
    vroot, now = pdir / "versions", time.time()
    for tmp in sorted(vroot.glob(".*")) if vroot.is_dir() else []:
        if not _leftover(tmp, now):
            log.info("keeping %s: its writer may still be running", tmp)
            continue
        log.info("removing leftover %s", tmp)
        if tmp.is_dir() and not tmp.is_symlink():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                tmp.unlink()
    names = {m["name"] for tmp in (pdir.glob(".*.tmp") if pdir.is_dir() else []) if (m := _TEMP_NAME.match(tmp.name))}
    for name in sorted(names):
        for tmp in remove_stale_temps(pdir / name):
            log.info("removed leftover %s", tmp)


# ---------------------------------------------------------------------- per-project state
@dataclass
class ProjectState:
    key: str
    dir: Path
    lock: threading.RLock = field(default_factory=threading.RLock)
    config: ProjectConfig | None = None
    model: Predictor | None = None
    version: str | None = None
    seq: int = 0
    records: dict[str, dict[str, Any]] = field(default_factory=dict)  # annotation id -> record
    new_since_training: int = 0
    training: bool = False
    pending: bool = False
    trainings: int = 0
    training_started: float | None = None
    last_training_s: float | None = None
    last_error: str | None = None
    thread: threading.Thread | None = None
    synced: bool = False  # the annotations made before the backend was connected were read (once a process)
    sync_error: str | None = None
    users: int = 0  # requests holding this state now (a new, empty project is dropped when the last one ends)

    def empty(self) -> bool:
        return (self.config is None and self.model is None and not self.records and not self.training
                and not self.dir.exists())



__all__ = ["LIVE_DIRS", "ProjectState", "is_project_dir", "owner_tag", "remove_leftovers", "saved_versions"]
