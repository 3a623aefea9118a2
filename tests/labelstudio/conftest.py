"""A real Label Studio per installed version, started once per module that asks for ``ls``.

Versions come from ``LABELLOOP_LS_BINS`` (label-studio executables separated by commas or the path
separator), else ``<repo>/.venv-ls/*/bin/label-studio`` as made by ``scripts/install-label-studio``.
With none, the tests that need Label Studio fail and say how to install it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from labelloop.annotate.labelstudio import Credentials, LabelStudioClient, LabelStudioServer, ServerInfo

REPO = Path(__file__).resolve().parents[2]
INSTALL = (
    "No Label Studio to test against: run scripts/install-label-studio (it makes .venv-ls/1.17.0 and "
    ".venv-ls/current), or set LABELLOOP_LS_BINS to label-studio executables separated by commas."
)


def label_studio_bins() -> list[str]:
    env = os.environ.get("LABELLOOP_LS_BINS", "").strip()
    if env:
        return [p.strip() for p in re.split(rf"[,{re.escape(os.pathsep)}]", env) if p.strip()]
    return sorted(str(p) for p in (REPO / ".venv-ls").glob("*/bin/label-studio"))


def _bin_id(path: str | None) -> str:
    if path is None:
        return "no-label-studio"
    return Path(path).parent.parent.name


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "ls_bin" in metafunc.fixturenames:
        bins: list[str | None] = list(label_studio_bins()) or [None]
        metafunc.parametrize("ls_bin", bins, ids=[_bin_id(b) for b in bins], scope="module")


@dataclass
class LiveLS:
    server: LabelStudioServer
    info: ServerInfo
    creds: Credentials
    data_dir: Path

    def client(self, token: str | None = None) -> LabelStudioClient:
        return LabelStudioClient(self.creds.url, token or self.creds.token)


@pytest.fixture(scope="module")
def ls(ls_bin: str | None, tmp_path_factory: pytest.TempPathFactory):
    if ls_bin is None:
        pytest.fail(INSTALL)
    if not Path(ls_bin).exists():
        pytest.fail(f"LABELLOOP_LS_BINS names {ls_bin}, which does not exist. {INSTALL}")
    data_dir = tmp_path_factory.mktemp(f"ls-{_bin_id(ls_bin)}") / "label-studio"
    data_dir.mkdir()
    data_dir.chmod(0o755)  # a data dir that already exists, readable by all (test_live checks it is made private)
    server = LabelStudioServer(data_dir, port=0, label_studio_bin=ls_bin, timeout=300)
    info = server.start()
    creds = Credentials.load(data_dir)
    assert creds is not None
    try:
        yield LiveLS(server, info, creds, data_dir)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def newest_ls_bin() -> str:
    """The newest installed Label Studio, for checks one version is enough for."""
    bins = label_studio_bins()
    if not bins:
        pytest.fail(INSTALL)
    return bins[-1]
