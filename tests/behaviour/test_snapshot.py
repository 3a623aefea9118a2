"""The behaviour guard: what users see (every --help, CLI output on fixed data, the MCP tools) must stay the
same byte for byte. After a change meant to alter behaviour, refresh with ``scripts/behaviour-snapshot --update``
and review the diff of tests/behaviour/snapshots/."""

from __future__ import annotations

import importlib.util
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _producer():
    spec = importlib.util.spec_from_file_location("labelloop_behaviour_producer", HERE / "producer.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


producer = _producer()


def test_snapshots_committed() -> None:
    files = [p for p in producer.SNAPSHOTS.rglob("*") if p.is_file()]
    names = {p.relative_to(producer.SNAPSHOTS).parts[0] for p in files}
    assert names == {"help", "cli", "mcp"}, f"snapshot folders missing under {producer.SNAPSHOTS}: {names}"
    assert len([p for p in files if p.parent.name == "help"]) > 20
    assert sum(p.stat().st_size for p in files) < 1_000_000


def test_behaviour_unchanged(tmp_path: Path) -> None:
    fresh = tmp_path / "snapshots"
    producer.generate(fresh)
    problem = producer.compare(producer.SNAPSHOTS, fresh)
    assert problem is None, ("behaviour changed (if intended: scripts/behaviour-snapshot --update, then review "
                             "the diff)\n" + problem)


def test_no_snapshots_is_a_failure(tmp_path: Path) -> None:
    (tmp_path / "some").mkdir()
    (tmp_path / "some" / "file.txt").write_text("x\n")
    assert producer.compare(tmp_path / "absent", tmp_path) is not None
    (tmp_path / "empty").mkdir()
    assert producer.compare(tmp_path / "empty", tmp_path) is not None
    assert producer.compare(tmp_path, tmp_path / "empty") is not None


def test_a_change_shows_a_unified_diff(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for root, text in ((a, "one\ntwo\n"), (b, "one\nthree\n")):
        (root / "help").mkdir(parents=True)
        (root / "help" / "x.txt").write_text(text)
        (root / "help" / "y.txt").write_text("same\n")
    report = producer.compare(a, b)
    assert "help/x.txt" in report and "-two\n" in report and "+three\n" in report
    assert producer.compare(a, a) is None
