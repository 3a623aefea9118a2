"""The MCP server as an assistant uses it: an SDK client over stdio calls every tool, resource and prompt."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path

import anyio
import krippendorff
import numpy as np
import pytest
from mcp_client import PYTHON, REPO, call, call_error, run_client, server_params

from labelloop.data.model import Annotation, Candidate, DataSample, Dataset, Message
from labelloop.formats import load, save
from labelloop.templates import TEMPLATES
from mcp import ClientSession

TOOLS = {"info", "validate", "convert", "export", "create_annotator", "import_results", "agreement", "merge",
         "adjudicate", "dashboard", "prelabel", "review", "guidelines", "labelstudio_status", "labelstudio_push",
         "labelstudio_pull", "select_next_batch", "leaderboard", "evaluate", "assign", "assign_next_round"}
SECRET = "sk-test-9f8e7d6c5b4a3210"


def write_raw(path: Path, n: int = 4) -> Path:
    rows = [{"prompt": f"Question {i}?", "chosen": f"good answer {i}", "rejected": f"bad answer {i}"} for i in range(n)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def results_doc(ds: Dataset, made: dict, annotator: str, prefs: list[str]) -> dict:
    """What the annotator page exports: one submitted preference per task, in candidate ids."""
    rows = [{"task_id": s.id, "annotator": annotator, "status": "submitted", "reason": None,
             "values": {"preference": p}, "created_at": "2025-03-01T09:00:00.000Z",
             "updated_at": "2025-03-01T10:00:00.000Z", "time_spent_s": 10.0, "order": ["1", "0"]}
            for s, p in zip(ds.samples, prefs)]
    return {"format": "labelloop-results", "version": 1, "tool": "labelloop", "file_id": made["file_id"],
            "schema_hash": made["schema_hash"], "seed": made["seed"], "dataset": ds.name, "annotator": annotator,
            "exported_at": "2025-03-02T00:00:00Z", "n_tasks": len(ds.samples),
            "schema": TEMPLATES.get("rewardbench")().model_dump(mode="json"), "results": rows}


def test_lists_and_reads_every_tool_resource_and_prompt(tmp_path):
    write_raw(tmp_path / "raw.jsonl")
    (tmp_path / "sub").mkdir()
    write_raw(tmp_path / "sub" / "deep.jsonl", 3)

    async def body(s: ClientSession):
        tools = (await s.list_tools()).tools
        assert {t.name for t in tools} == TOOLS
        assert all(t.description and t.input_schema["type"] == "object" and t.output_schema for t in tools)
        # typed inputs: the literal choices reach the client's schema
        export = next(t for t in tools if t.name == "export")
        assert export.input_schema["properties"]["pairs"]["enum"] == ["best-vs-rest", "adjacent", "all"]
        assert export.input_schema["required"] == ["path", "output"]

        uris = sorted(str(r.uri) for r in (await s.list_resources()).resources)
        assert uris == sorted(["labelloop://templates", "labelloop://schema/json-schema",
                               "labelloop://question-types"] + [f"labelloop://templates/{n}" for n in TEMPLATES])
        listing = json.loads((await s.read_resource("labelloop://templates")).contents[0].text)
        assert [t["name"] for t in listing] == list(TEMPLATES)
        desc = {t["name"]: t["description"] for t in listing}
        assert desc["rewardbench"].startswith("Which of two answers is better")
        assert desc["ranking"] == "Rank the answers, best first."
        for n in TEMPLATES:
            got = json.loads((await s.read_resource(f"labelloop://templates/{n}")).contents[0].text)
            assert got == TEMPLATES.get(n)().model_dump(mode="json")
        js = json.loads((await s.read_resource("labelloop://schema/json-schema")).contents[0].text)
        assert js["title"] == "AnnotationSchema" and "questions" in js["properties"]
        qt = (await s.read_resource("labelloop://question-types")).contents[0].text
        for name in ("single_choice", "multi_choice", "rating", "ranking", "text", "span"):
            assert f"| `{name}` |" in qt
        assert "list of candidate ids (or option values), best first" in qt

        templates = (await s.list_resource_templates()).resource_templates
        assert [t.uri_template for t in templates] == ["labelloop://dataset/{+path}"]
        rel = json.loads((await s.read_resource("labelloop://dataset/raw.jsonl")).contents[0].text)
        assert (rel["samples"], rel["schema"], rel["annotations_by_kind"]) == (4, "rewardbench", {"reference": 4})
        deep = json.loads((await s.read_resource(f"labelloop://dataset/{tmp_path}/sub/deep.jsonl")).contents[0].text)
        assert deep["samples"] == 3

        prompts = {p.name: p for p in (await s.list_prompts()).prompts}
        assert set(prompts) == {"design_schema", "review_quality", "full_loop"}
        design = await s.get_prompt("design_schema", {"task": "Is the summary faithful to the article?"})
        text = design.messages[0].content.text
        assert "Is the summary faithful to the article?" in text and "| `rating` |" in text
        review = await s.get_prompt("review_quality", {"path": "raw.jsonl"})
        assert '"samples": 4' in review.messages[0].content.text
        loop = await s.get_prompt("full_loop", {"path": "raw.jsonl"})
        assert "create_annotator" in loop.messages[0].content.text and "'dpo'" in loop.messages[0].content.text

    run_client(server_params(tmp_path), body)


def test_raw_file_to_dpo_through_tools_alone(tmp_path):
    """Done-when of issue 9: raw file -> dataset -> annotator -> results -> agreement -> merge -> DPO pairs."""
    write_raw(tmp_path / "raw.jsonl")
    alice = ["1", "0", "0", "tie"]  # people prefer the 'rejected' answer of sample 0 over the source's choice
    bob = ["1", "0", "1", "tie"]

    async def body(s: ClientSession):
        info = await call(s, "info", path="raw.jsonl")
        assert (info["format"], info["samples"], info["candidates_per_sample"]) == ("pairs", 4, {"2": 4})
        conv = await call(s, "convert", src="raw.jsonl", output="data/ds.jsonl")
        assert (conv["samples"], conv["format"], conv["rejected"]) == (4, "pairs", 0)
        assert conv["output"] == str(tmp_path / "data" / "ds.jsonl")
        made = await call(s, "create_annotator", path="data/ds.jsonl", output="annotator.html", schema="rewardbench",
                          annotators=["alice", "bob"])
        assert (made["tasks"], made["schema_name"], made["seed"]) == (4, "rewardbench", 0)
        html = (tmp_path / "annotator.html").read_text(encoding="utf-8")
        assert made["bytes"] == len(html.encode()) and made["file_id"] in html

        ds = load(tmp_path / "data" / "ds.jsonl")
        for who, prefs in (("alice", alice), ("bob", bob)):
            (tmp_path / f"{who}.json").write_text(json.dumps(results_doc(ds, made, who, prefs)), encoding="utf-8")
        imp = await call(s, "import_results", path="data/ds.jsonl", results=["alice.json", "bob.json"],
                         output="data/labelled.jsonl")
        assert {k: imp["report"][k] for k in ("imported", "by_annotator", "by_status")} == {
            "imported": 8, "by_annotator": {"alice": 4, "bob": 4}, "by_status": {"submitted": 8}}
        val = await call(s, "validate", path="data/labelled.jsonl")
        assert (val["valid"], val["problems"], val["schema_name"]) == (True, 0, "rewardbench")

        agr = (await call(s, "agreement", paths=["data/labelled.jsonl"], questions=["preference"]))["report"]
        q = agr["questions"][0]
        codes = {"0": 0, "1": 1, "tie": 2}
        want = krippendorff.alpha(reliability_data=np.array([[codes[v] for v in alice], [codes[v] for v in bob]],
                                                            dtype=float), level_of_measurement="nominal")
        assert (q["question"], q["annotators"], q["items"]) == ("preference", ["alice", "bob"], 4)
        assert q["stats"]["alpha"]["value"] == pytest.approx(want, abs=1e-12)
        assert q["stats"]["percent_agreement"]["value"] == pytest.approx(3 / 4)

        merged = await call(s, "merge", paths=["data/labelled.jsonl"], output="data/merged.jsonl",
                            questions=["preference"])
        pq = merged["report"]["questions"]["preference"]
        assert (pq["items"], pq["decided"], pq["needs_review"]) == (4, 3, 1)
        adj = await call(s, "adjudicate", paths=["data/labelled.jsonl"], output="data/adjudicated.jsonl",
                         strategy="experts", experts=["bob"], questions=["preference"])
        assert adj["report"]["questions"]["preference"]["decided"] == 4
        assert "queue" not in adj["report"]

        dpo = await call(s, "export", path="data/adjudicated.jsonl", output="out/dpo.jsonl", format="dpo",
                         label_source="aggregate")
        f = dpo["files"]["all"]
        assert (f["rows"], f["path"], f["stats"]["aggregate"]) == (3, str(tmp_path / "out" / "dpo.jsonl"), 3)
        rows = [json.loads(x) for x in (tmp_path / "out" / "dpo.jsonl").read_text().splitlines()]
        assert rows == [{"prompt": "Question 0?", "chosen": "bad answer 0", "rejected": "good answer 0"},
                        {"prompt": "Question 1?", "chosen": "good answer 1", "rejected": "bad answer 1"},
                        {"prompt": "Question 2?", "chosen": "bad answer 2", "rejected": "good answer 2"}]
        split = await call(s, "export", path="data/adjudicated.jsonl", output="out/pairs.jsonl", format="dpo",
                           label_source="aggregate", split={"train": 0.5, "test": 0.5})
        assert sorted(split["files"]) == ["test", "train"]
        assert sum(v["rows"] for v in split["files"].values()) == 3

    run_client(server_params(tmp_path), body)


def test_merge_review_queue_and_decisions(tmp_path):
    ds = Dataset(name="toy", schema=TEMPLATES.get("rewardbench")(), samples=[
        DataSample(id=f"s{i}", prompt=[Message(role="user", content=f"Q{i}")],
                   candidates=[Candidate(id="0", content="a"), Candidate(id="1", content="b")],
                   annotations=[Annotation(annotator="ann", kind="human", values={"preference": p}),
                                Annotation(annotator="bob", kind="human", values={"preference": q})])
        for i, (p, q) in enumerate([("0", "0"), ("0", "1")])])
    save(ds, tmp_path / "toy.jsonl")

    async def body(s: ClientSession):
        adj = await call(s, "adjudicate", paths=["toy.jsonl"], output="adj.jsonl", questions=["preference"])
        assert adj["report"]["queue"] == str(tmp_path / "adj.review.jsonl")
        queue = [json.loads(x) for x in (tmp_path / "adj.review.jsonl").read_text().splitlines()]
        assert [(q["sample_id"], q["question"]) for q in queue] == [("s1", "preference")]
        queue[0]["decision"] = "1"
        (tmp_path / "decided.jsonl").write_text("".join(json.dumps(q) + "\n" for q in queue))
        applied = await call(s, "adjudicate", paths=["adj.jsonl"], output="final.jsonl", decisions="decided.jsonl",
                             reviewer="rita")
        assert (applied["report"]["applied"], applied["report"]["reviewers"]) == (1, ["rita"])
        final = load(tmp_path / "final.jsonl").by_id()["s1"].annotations_of("aggregate")
        assert [(a.annotator, a.values) for a in final][-1] == ("rita", {"preference": "1"})
        err = await call_error(s, "merge", paths=["toy.jsonl"], output="m.jsonl", strategy="loudest")
        assert err == ("Error executing tool merge: Unknown merge strategy 'loudest'; known: majority, average, "
                       "median, strict, per-option, intersection, union, borda, dawid-skene, weighted, bradley-terry.")

    run_client(server_params(tmp_path), body)


def test_paths_outside_the_roots_are_refused(tmp_path):
    root, other, outside = tmp_path / "root", tmp_path / "other", tmp_path / "outside"
    for d in (root, other, outside):
        d.mkdir()
    write_raw(outside / "secret.jsonl")
    write_raw(other / "shared.jsonl", 2)
    write_raw(root / "raw.jsonl")
    (root / "link.jsonl").symlink_to(outside / "secret.jsonl")
    (root / "linkdir").symlink_to(outside, target_is_directory=True)

    async def body(s: ClientSession):
        msg = await call_error(s, "info", path=str(outside / "secret.jsonl"))
        assert msg == (f"Error executing tool info: dataset {outside / 'secret.jsonl'} resolves to "
                       f"{outside / 'secret.jsonl'}, which is outside the server's roots ({root}, {other}); restart "
                       "the server with --root to allow it.")
        assert "outside the server's roots" in await call_error(s, "info", path="../outside/secret.jsonl")
        assert f"link.jsonl resolves to {outside / 'secret.jsonl'}" in await call_error(s, "info", path="link.jsonl")
        # writes: a plain path outside, and one through a symlinked directory
        assert await call_error(s, "convert", src="raw.jsonl", output=str(outside / "x.jsonl")) == (
            f"Error executing tool convert: output {outside / 'x.jsonl'} resolves to {outside / 'x.jsonl'}, which is "
            f"outside the server's roots ({root}, {other}); restart the server with --root to allow it.")
        assert "outside the server's roots" in await call_error(s, "convert", src="raw.jsonl",
                                                                output="linkdir/x.jsonl")
        assert "outside the server's roots" in await call_error(s, "export", path="raw.jsonl",
                                                                output="../outside/dpo.jsonl")
        assert not (outside / "x.jsonl").exists() and not (outside / "dpo.jsonl").exists()
        assert "Hugging Face datasets are not read" in await call_error(s, "info", path="hf:org/name")
        assert "schema file" in await call_error(s, "validate", path="raw.jsonl", schema=str(outside / "s.yaml"))
        # a second root is allowed
        assert (await call(s, "info", path=str(other / "shared.jsonl")))["samples"] == 2
        with pytest.raises(Exception) as exc:  # the resource refuses too, with the same sentence
            await s.read_resource(f"labelloop://dataset/{outside}/secret.jsonl")
        assert "outside the server's roots" in str(exc.value)
        with pytest.raises(Exception) as exc:
            await s.get_prompt("review_quality", {"path": "link.jsonl"})
        assert "outside the server's roots" in str(exc.value)

    run_client(server_params(root, other), body)


def test_prelabel_reports_progress_and_never_shows_the_key(tmp_path, llm_server):
    samples = [DataSample(id=f"s{i}", prompt=[Message(role="user", content=f"Question {i}?")],
                          candidates=[Candidate(id="0", content=f"right {i}" + (" [GOOD]" if i % 3 else "")),
                                      Candidate(id="1", content=f"other {i}" + ("" if i % 3 else " [GOOD]"))])
               for i in range(6)]
    # a human label that carries the key by mistake: validate quotes bad values back
    samples[0].annotations.append(Annotation(annotator="eve", kind="human", values={"preference": SECRET}))
    save(Dataset(name="toy", samples=samples), tmp_path / "in.jsonl")
    env = {"OPENAI_API_KEY": SECRET}

    async def body(s: ClientSession):
        seen: list = []
        out = await call(s, "prelabel", progress=seen, path="in.jsonl", output="pre.jsonl", provider="compatible",
                         model="m1", base_url=llm_server.openai_url, schema="rewardbench", concurrency=2)
        rep = out["report"]
        assert {k: rep[k] for k in ("samples", "predicted", "failed", "calls", "cached", "annotator")} == {
            "samples": 6, "predicted": 6, "failed": 0, "calls": 6, "cached": 0, "annotator": "llm:compatible/m1"}
        assert seen[-1] == (6.0, 6.0) and len(seen) >= 2
        assert [d for d, _ in seen] == sorted({d for d, _ in seen})  # strictly increasing
        ds = load(tmp_path / "pre.jsonl")
        assert [s_.annotations_of("prediction")[0].values["preference"] for s_ in ds.samples] == \
            ["1", "0", "0", "1", "0", "0"]
        assert all(r["headers"]["authorization"] == f"Bearer {SECRET}" for r in llm_server.requests)
        again = await call(s, "prelabel", path="in.jsonl", output="pre2.jsonl", provider="compatible", model="m1",
                           base_url=llm_server.openai_url, schema="rewardbench")
        assert (again["report"]["cached"], again["report"]["calls"]) == (6, 0)

        val = await call(s, "validate", path="in.jsonl", schema="rewardbench")
        assert val["problems"] == 1 and SECRET not in json.dumps(val) and "[redacted]" in val["details"][0]

        llm_server.policy = lambda req, n: {"status": 401, "body": {"error": {"message": f"bad key {SECRET}"}}}
        err = await call_error(s, "prelabel", path="in.jsonl", output="pre3.jsonl", provider="compatible",
                               base_url=llm_server.openai_url, schema="rewardbench", no_cache=True)
        assert err == (f"Error executing tool prelabel: The API key was refused by {llm_server.openai_url}"
                       "/chat/completions (HTTP 401).")
        assert not (tmp_path / "pre3.jsonl").exists()
        err = await call_error(s, "prelabel", path="in.jsonl", output="pre4.jsonl", provider="anthropic",
                               schema="rewardbench")
        assert err == "Error executing tool prelabel: Provider 'anthropic' needs an API key; set ANTHROPIC_API_KEY."

    params = server_params(tmp_path, env=env)  # the operator names the endpoint and the key that goes with it
    params.args = [*params.args, "--provider-url", llm_server.openai_url, "--api-key-env", "OPENAI_API_KEY"]
    run_client(params, body)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_streamable_http_on_loopback(tmp_path):
    from mcp.client.streamable_http import streamable_http_client

    write_raw(tmp_path / "raw.jsonl")
    port = _free_port()
    proc = subprocess.Popen([PYTHON, "-m", "labelloop.cli", "mcp", "--transport", "http", "--port", str(port),
                             "--root", str(tmp_path)], cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline, "the HTTP server did not come up"
                time.sleep(0.2)

        async def main():
            with anyio.fail_after(60):
                async with streamable_http_client(f"http://127.0.0.1:{port}/mcp") as (read, write):
                    async with ClientSession(read, write) as s:
                        await s.initialize()
                        assert len((await s.list_tools()).tools) == len(TOOLS)
                        return await call(s, "info", path="raw.jsonl")

        assert anyio.run(main)["samples"] == 4
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_command_line_errors_are_one_sentence(tmp_path):
    p = subprocess.run([PYTHON, "-m", "labelloop.mcp", "--transport", "http", "--host", "0.0.0.0"],
                       capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert p.returncode == 1 and p.stderr.strip() == (
        "error: --host 0.0.0.0 is not a loopback address; the MCP server has no authentication, so it listens only "
        "on 127.0.0.1, ::1, localhost.")
    p = subprocess.run([PYTHON, "-m", "labelloop.cli", "mcp", "--root", str(tmp_path / "nope")],
                       capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert p.returncode == 1 and p.stderr.strip() == f"error: --root {tmp_path / 'nope'} is not a directory."
    p = subprocess.run([PYTHON, "-m", "labelloop.mcp", "--transport", "carrier-pigeon"],
                       capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert p.returncode == 1 and p.stderr.strip() == "error: Unknown transport 'carrier-pigeon'; use stdio or http."


def test_readme_client_configuration_is_valid_json():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = text.split("## MCP server", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    conf = json.loads(block)["mcpServers"]["labelloop"]
    assert conf["args"][:1] == ["mcp"] and "--root" in conf["args"]


def test_default_root_is_the_working_directory(tmp_path):
    write_raw(tmp_path / "raw.jsonl")
    params = server_params(tmp_path)
    params.args = ["-m", "labelloop.mcp"]  # no --root: the server's working directory

    async def body(s: ClientSession):
        assert (await call(s, "info", path="raw.jsonl"))["samples"] == 4
        assert "outside the server's roots" in await call_error(s, "info", path=str(REPO / "README.md"))

    run_client(params, body)
    assert os.path.samefile(params.cwd, tmp_path)


def test_unknown_arguments_are_refused(tmp_path):
    """The SDK drops an argument a tool does not declare; labelloop refuses it, and nothing is written (before the
    redesign, labelstudio_push(schema=...) pushed with another config and reported success)."""
    write_raw(tmp_path / "raw.jsonl")

    async def body(s: ClientSession):
        msg = await call_error(s, "convert", src="raw.jsonl", output="out.jsonl", schema="rewardbench")
        assert msg == ("convert takes no argument schema; it takes chosen_column, "
                       "format, id_column, limit, output, prompt_column, rejected_column, seed, skip_bad, src.")
        msg = await call_error(s, "info", path="raw.jsonl", fmt="json", limit=3)
        assert msg == "info takes no arguments fmt, limit; it takes format, path."
        assert (await call(s, "info", path="raw.jsonl"))["samples"] == 4  # declared arguments still work

    run_client(server_params(tmp_path), body)
    assert not (tmp_path / "out.jsonl").exists()
