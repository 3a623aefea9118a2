"""The shared pieces of the operations layer: the one dataset loading, the one schema resolution, and the MCP
guard naming a ParameterError by the tool's argument."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mcp.server.mcpserver.exceptions import ToolError

from labelloop.errors import ParameterError
from labelloop.mcp.guard import Guard
from labelloop.ops._common import counted, load_dataset, open_reader, schema_for


def _pairs(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_load_dataset_notes_format_and_rejects(tmp_path: Path) -> None:
    src = _pairs(tmp_path / "p.jsonl", [{"prompt": "q1", "chosen": "a", "rejected": "b"}])
    with src.open("a", encoding="utf-8") as fh:
        fh.write("{bad json\n")
    notes: list[str] = []
    ticks: list[tuple[float, float | None]] = []
    ds, reader = load_dataset(src, skip_bad=True, note=notes.append, progress=lambda d, t: ticks.append((d, t)))
    assert reader.format_name == "pairs"
    assert [s.prompt[0].content for s in ds.samples] == ["q1"]
    assert notes == ["Format: pairs (recognised from columns: chosen, prompt, rejected)",
                     f"Skipped 1 bad row(s); written to {src}.rejects.jsonl."]
    assert ticks == [(1, 1)]


def test_limit_is_a_parameter_error(tmp_path: Path) -> None:
    src = _pairs(tmp_path / "p.jsonl", [{"prompt": "q", "chosen": "a", "rejected": "b"}])
    with pytest.raises(ParameterError) as info:
        open_reader(src, limit=0)
    assert str(info.value) == "limit must be at least 1, not 0."
    assert info.value.render(lambda p: "--" + p) == "--limit must be at least 1, not 0."


def test_rejects_path_goes_through_check_path(tmp_path: Path) -> None:
    src = _pairs(tmp_path / "p.jsonl", [{"prompt": "q", "chosen": "a", "rejected": "b"}])
    seen: list[tuple[Path, str]] = []

    def check(p: Path, what: str) -> Path:
        seen.append((p, what))
        return p

    open_reader(src, skip_bad=True, check_path=check)
    assert seen == [(Path(str(src) + ".rejects.jsonl"), "rejects file")]


def test_schema_for_names_template_and_schema() -> None:
    with pytest.raises(ParameterError) as info:
        schema_for(None, "rating", "x.yaml")
    assert str(info.value) == "Give template or schema, not both."
    assert schema_for(None, "rating").name == "rating"
    assert schema_for(None, required=False) is None


def test_counted_reports_every_n_and_the_total() -> None:
    ticks: list[tuple[float, float | None]] = []
    assert list(counted(range(5), lambda d, t: ticks.append((d, t)), every=2, seconds=0)) == [0, 1, 2, 3, 4]
    assert ticks == [(2, None), (4, None), (5, 5)]


def test_guard_names_the_argument() -> None:
    g = Guard([Path.cwd()])
    with pytest.raises(ToolError) as info, g.errors(names={"question": "questions"}):
        raise ParameterError("question", "Unknown {param} 'x'.")
    assert str(info.value) == "Unknown questions 'x'."
    with pytest.raises(ToolError) as info, g.errors():
        raise ParameterError("question", "Unknown {param} 'x'.")
    assert str(info.value) == "Unknown question 'x'."
