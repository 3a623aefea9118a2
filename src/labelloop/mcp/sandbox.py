"""Every file the MCP server opens lies inside a root, however it was reached.

Checking the paths a caller names is not enough: a directory holds symlinks, a format finds its sidecars
(``*.ontology.json``, ``*.label_config.xml``) by name, a results file names other files. So the server
process checks every open, listing, rename and removal at the interpreter's audit hook, after symlinks are
resolved: inside a root anything goes; Python's own installation (the code being imported) may be read;
``/proc/PID/stat`` may be read (whether Label Studio still runs), and public system data (time zones, CPU
counts; ``/dev/null``); everything else raises
``OutsideRootsError``. Code that opens files natively (pyarrow) announces them first with
``sys.audit("labelloop.open", path)``.

The hook is installed once per process (audit hooks cannot be removed), by ``serve``; byte-code writing is
turned off so that imports never write next to the installed code, and temporary files go to
``.labelloop/tmp`` under the first root.
"""

from __future__ import annotations

import os
import re
import sys
import sysconfig
from collections.abc import Iterable
from pathlib import Path

from labelloop.errors import OutsideRootsError

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_DEVICES = ("/dev/null", "/dev/urandom", "/dev/random", "/proc/cpuinfo", "/proc/meminfo",
            "/proc/sys/kernel/random/boot_id")  # nobody's secrets
# public system data libraries read (time zones; CPU counts and quotas for thread pools): read-only
_SYSTEM = ("/usr/share/zoneinfo", "/sys/fs/cgroup", "/sys/devices/system/cpu")
_PROC_STAT = re.compile(r"/proc(?:/\d+/(?:stat|mountinfo|cgroup))?")  # process state and mounts: no secrets
# event -> indexes of its path arguments, and whether the event changes the file system
_EVENTS: dict[str, tuple[tuple[int, ...], bool]] = {
    "open": ((0,), False),  # write or not: from the mode and flags
    "labelloop.open": ((0,), False),
    "os.listdir": ((0,), False),
    "os.scandir": ((0,), False),
    "os.remove": ((0,), True),
    "os.rmdir": ((0,), True),
    "os.mkdir": ((0,), True),
    "os.rename": ((0, 1), True),
    "os.truncate": ((0,), True),
    "os.chmod": ((0,), True),
    "os.link": ((0, 1), True),
    "os.symlink": ((1,), True),
}


def _under(path: str, dirs: Iterable[str]) -> bool:
    return any(path == d or path.startswith(d.rstrip(os.sep) + os.sep) for d in dirs)


class Sandbox:
    """The roots, and the audit hook that holds the process to them."""

    def __init__(self, roots: Iterable[Path]) -> None:
        self.roots = [os.path.realpath(r) for r in roots]
        code = {sys.prefix, sys.base_prefix, sys.exec_prefix, *sysconfig.get_paths().values(),
                os.path.dirname(os.path.dirname(__file__))}
        cwd = os.path.realpath(os.getcwd())
        listed = set()
        for entry in sys.path:
            real = os.path.realpath(entry or ".")
            if real == cwd or not os.path.isdir(real):
                listed.add(real)  # the import system lists these; it may not read in them
            else:
                code.add(real)
        self.code = sorted({os.path.realpath(c) for c in code if c} - {cwd, "/"})
        self.listed = listed

    def allowed(self, path: str, write: bool, event: str = "open") -> bool:
        real = os.path.realpath(path)
        if _under(real, self.roots) or real in _DEVICES:
            return True
        if write:
            return False
        if _under(real, self.code) or _under(real, _SYSTEM) or _PROC_STAT.fullmatch(real):
            return True
        return event in ("os.listdir", "os.scandir") and real in self.listed

    def check(self, path: str, write: bool = False, event: str = "open") -> None:
        if not self.allowed(path, write, event):
            raise OutsideRootsError(
                f"{path} resolves to {os.path.realpath(path)}, which is outside the server's roots "
                f"({', '.join(self.roots)}); the MCP server opens no file outside them (restart it with --root "
                "to allow a directory).")

    def hook(self, event: str, args: tuple) -> None:
        spec = _EVENTS.get(event)
        if spec is None:
            return
        positions, write = spec
        if event == "open":
            mode, flags = (args[1], args[2]) if len(args) >= 3 else (None, 0)
            write = bool(isinstance(mode, str) and set(mode) & set("wax+")) or bool((flags or 0) & _WRITE_FLAGS)
        for i in positions:
            if i >= len(args):
                continue
            value = args[i]
            if value is None and event in ("os.listdir", "os.scandir"):
                value = "."
            if isinstance(value, int) or value is None:
                continue  # a file descriptor: its opening was checked
            self.check(os.fsdecode(os.fspath(value)), write, event)

    def install(self) -> None:
        """Hold this process to the roots from now on (for good: audit hooks cannot be removed)."""
        import mimetypes
        import tempfile

        mimetypes.init()  # reads /etc/mime.types: once, before the hook
        sys.dont_write_bytecode = True
        # libraries' temporary files (the datasets library makes some) go under the first root, not /tmp
        tmp = Path(self.roots[0]) / ".labelloop" / "tmp"
        tmp.mkdir(parents=True, exist_ok=True, mode=0o700)
        tempfile.tempdir = str(tmp)
        sys.addaudithook(self.hook)
