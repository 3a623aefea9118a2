"""Outputs get the permissions a plain open() gives; secrets can ask for owner-only."""

from __future__ import annotations

import os
import stat

from labelloop.data.io import atomic_open


def test_outputs_follow_umask_and_secrets_are_owner_only(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic_open(tmp_path / "out.json") as fh:
            fh.write("{}")
        with atomic_open(tmp_path / "secret.json", perm=0o600) as fh:
            fh.write("{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out.json").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "secret.json").stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json", "secret.json"]
