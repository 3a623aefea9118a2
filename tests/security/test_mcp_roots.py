"""Every file the MCP server opens resolves inside a root, however it was reached (issue 14, item 2).

Through the official SDK client over stdio, as an assistant drives it: symlinks inside a directory input,
format sidecars found by name (Labelbox ontology / ndjson, Label Studio label config) and a directory
symlinked into a directory all point outside the root; the tools must refuse, write nothing, and never
copy the outside text into the root.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from labelloop.data.model import Candidate, DataSample, Dataset, Message
from labelloop.formats import save
from labelloop.templates import TEMPLATES

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "mcp"))
from mcp_client import call, call_error, run_client, server_params  # noqa: E402

OUTSIDE_TEXT = "TOPSECRET-outside-the-root"


def _ds(name: str, text: str = "inside") -> Dataset:
    return Dataset(name=name, schema=TEMPLATES.get("rewardbench")(), samples=[
        DataSample(id=f"{name}{i}", prompt=[Message(role="user", content=f"{text} question {i}?")],
                   candidates=[Candidate(id="0", content=f"{text} a"), Candidate(id="1", content=f"{text} b")])
        for i in range(2)])


@pytest.fixture()
def dirs(tmp_path):
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    return root, outside


def _no_leak(root: Path) -> None:
    for f in root.rglob("*"):
        if f.is_file() and not f.is_symlink():
            assert OUTSIDE_TEXT not in f.read_text(encoding="utf-8", errors="replace"), f


def _refusal(tool: str, link: Path, target: Path, root: Path) -> str:
    return (f"Error executing tool {tool}: {link} resolves to {target}, which is outside the server's roots "
            f"({root}); the MCP server opens no file outside them (restart it with --root to allow a directory).")


def test_symlinked_file_inside_a_directory_input(dirs):
    root, outside = dirs
    (root / "data").mkdir()
    save(_ds("in"), root / "data" / "a.jsonl")
    save(_ds("out", OUTSIDE_TEXT), outside / "secret.jsonl")
    (root / "data" / "b.jsonl").symlink_to(outside / "secret.jsonl")

    async def body(s):
        return (await call_error(s, "convert", src="data", output="copy.jsonl"),
                await call_error(s, "info", path="data"))

    convert, info = run_client(server_params(root), body)
    assert convert == _refusal("convert", root / "data" / "b.jsonl", outside / "secret.jsonl", root)
    assert info == _refusal("info", root / "data" / "b.jsonl", outside / "secret.jsonl", root)
    assert not (root / "copy.jsonl").exists()
    _no_leak(root)


def test_symlinked_parquet_inside_a_directory_input(dirs):
    """pyarrow opens Parquet natively, past Python's open(): the reader announces it to the hook."""
    root, outside = dirs
    (root / "data").mkdir()
    save(_ds("in"), root / "data" / "a.parquet")
    save(_ds("out", OUTSIDE_TEXT), outside / "secret.parquet")
    (root / "data" / "b.parquet").symlink_to(outside / "secret.parquet")

    async def body(s):
        return await call_error(s, "convert", src="data", output="copy.jsonl")

    assert run_client(server_params(root), body) == _refusal(
        "convert", root / "data" / "b.parquet", outside / "secret.parquet", root)
    assert not (root / "copy.jsonl").exists()


def test_directory_symlinked_into_a_directory_input(dirs):
    """A directory walk does not follow a symlinked directory (pathlib's rglob), so nothing from outside comes in."""
    root, outside = dirs
    (root / "data").mkdir()
    save(_ds("in"), root / "data" / "a.jsonl")
    (outside / "more").mkdir()
    save(_ds("out", OUTSIDE_TEXT), outside / "more" / "c.jsonl")
    (root / "data" / "more").symlink_to(outside / "more", target_is_directory=True)

    async def body(s):
        return await call(s, "convert", src="data", output="copy.jsonl")

    assert run_client(server_params(root), body)["samples"] == 2
    _no_leak(root)


@pytest.mark.parametrize("sidecar", ["pairwise.ontology.json", "pairwise.labels.ndjson"])
def test_labelbox_sidecars_through_symlinks(dirs, sidecar):
    root, outside = dirs
    for f in (REPO / "tests/data/labelbox").iterdir():
        shutil.copy(f, (outside if f.name == sidecar else root) / f.name)
    text = (outside / sidecar).read_text(encoding="utf-8")
    (outside / sidecar).write_text(text.replace("Response B", OUTSIDE_TEXT), encoding="utf-8")
    (root / sidecar).symlink_to(outside / sidecar)

    async def body(s):
        return await call_error(s, "convert", src="pairwise.jsonl", output="copy.jsonl")

    assert run_client(server_params(root), body) == _refusal("convert", root / sidecar, outside / sidecar, root)
    assert not (root / "copy.jsonl").exists()
    _no_leak(root)


def test_labelstudio_label_config_sidecar_through_a_symlink(dirs):
    root, outside = dirs
    save(_ds("t"), outside / "tasks.json", "labelstudio")
    shutil.move(str(outside / "tasks.json"), root / "tasks.json")
    (root / "tasks.label_config.xml").symlink_to(outside / "tasks.label_config.xml")

    async def body(s):
        return await call_error(s, "convert", src="tasks.json", output="copy.jsonl")

    assert run_client(server_params(root), body) == _refusal(
        "convert", root / "tasks.label_config.xml", outside / "tasks.label_config.xml", root)
    assert not (root / "copy.jsonl").exists()


def test_a_plain_directory_and_sidecars_inside_the_root_still_work(dirs):
    """The hook refuses only what lies outside: the same inputs, all inside, convert as before."""
    root, _ = dirs
    (root / "data").mkdir()
    save(_ds("a"), root / "data" / "a.jsonl")
    save(_ds("b"), root / "data" / "b.parquet")
    for f in (REPO / "tests/data/labelbox").iterdir():
        shutil.copy(f, root / f.name)
    import datasets

    datasets.Dataset.from_dict({"prompt": ["p1", "p2"], "chosen": ["a", "b"], "rejected": ["c", "d"]}).save_to_disk(
        str(root / "hf"))

    async def body(s):
        return (await call(s, "convert", src="data", output="copy.jsonl"),
                await call(s, "convert", src="pairwise.jsonl", output="lb.jsonl"),
                await call(s, "convert", src="hf", output="hf.jsonl"))

    d, lb, hf = run_client(server_params(root), body)
    assert (d["samples"], d["rejected"]) == (4, 0)
    assert (lb["format"], lb["samples"]) == ("labelbox", 1)
    assert (hf["format"], hf["samples"]) == ("pairs", 2)


def test_saved_hugging_face_dataset_whose_state_names_a_file_outside(dirs):
    """``load_from_disk`` maps the data files ``state.json`` names, wherever they are, natively."""
    import json

    import datasets

    root, outside = dirs
    datasets.Dataset.from_dict({"prompt": ["in"], "chosen": ["a"], "rejected": ["b"]}).save_to_disk(str(root / "hf"))
    datasets.Dataset.from_dict({"prompt": [OUTSIDE_TEXT], "chosen": ["a"], "rejected": ["b"]}).save_to_disk(
        str(outside / "hf"))
    state = json.loads((root / "hf" / "state.json").read_text())
    target = outside / "hf" / state["_data_files"][0]["filename"]
    state["_data_files"][0]["filename"] = str(target)
    (root / "hf" / "state.json").write_text(json.dumps(state))

    async def body(s):
        return await call_error(s, "convert", src="hf", output="copy.jsonl")

    assert run_client(server_params(root), body) == _refusal("convert", target, target, root)
    assert not (root / "copy.jsonl").exists()
    _no_leak(root)
