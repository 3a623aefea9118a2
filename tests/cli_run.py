"""The ``labelloop`` command run as a user runs it (a child process), and the one error sentence it printed."""

from __future__ import annotations

import subprocess
import sys


def run(*args: object, cwd: object = None) -> subprocess.CompletedProcess[str]:
    """``labelloop ARGS`` in a child Python, its output captured as text."""
    return subprocess.run([sys.executable, "-m", "labelloop.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


def one_error(proc: subprocess.CompletedProcess[str]) -> str:
    """The one sentence the CLI printed: exit code 1, no traceback, a single ``error:`` line."""
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    errors = [x for x in proc.stderr.splitlines() if x.startswith("error: ")]
    assert len(errors) == 1, proc.stderr
    return errors[0][len("error: "):]
