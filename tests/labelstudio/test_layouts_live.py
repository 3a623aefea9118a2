"""Against a real Label Studio (each installed version): a push of samples with 2, 4 and 8 answers makes one
project per answer count, so no task offers an answer it does not have; the best answer takes keys 1..N; pushing
again (the same file, or ``--only`` a selection) adds nothing twice.

Label Studio's own SDK (``label_studio_sdk.LabelInterface``, installed beside each server) validates the configs,
the tasks and their pre-labels, and refuses a pre-label naming an answer the task does not have.
"""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from labelloop.cli import main
from labelloop.data.io import write_dataset
from labelloop.data.model import Annotation, Candidate, DataSample, Dataset, Message
from labelloop.data.positions import position_label

COUNTS = {2: 2, 4: 3, 8: 1}  # answers -> samples with that many
STATE: dict = {}

SDK_CHECK = """
import json, sys, warnings
warnings.simplefilter("ignore")
from label_studio_sdk.label_interface import LabelInterface
job = json.load(sys.stdin)
li = LabelInterface(job["config"])
li.validate()
out = {"controls": sorted(c.name for c in li.controls), "best": li.get_control("best").labels,
       "tasks": [li.validate_task({"data": t["data"]}) for t in job["tasks"]],
       "predictions": [li.validate_prediction(p) for t in job["tasks"] for p in t["predictions"]],
       "impossible": li.validate_prediction({"result": [{"from_name": "best", "to_name": "prompt",
                                                         "type": "choices", "value": {"choices": [job["extra"]]}}]})}
print(json.dumps(out))
"""


def make_dataset() -> Dataset:
    samples = []
    for n, k in COUNTS.items():
        for j in range(k):
            ids = [f"c{m}" for m in range(n)]
            pred = Annotation(annotator="judge", kind="prediction", model_version="judge-v1",
                              values={"best": ids[j % n]})
            samples.append(DataSample(id=f"n{n}-{j}", prompt=[Message(role="user", content=f"Pick one of {n} ({j})")],
                                      candidates=[Candidate(id=c, content=f"answer {c} of {n}") for c in ids],
                                      annotations=[pred]))
    return Dataset(name="layouts", samples=samples)


def push(args: list, capsys) -> dict:
    main(["labelstudio", "push", *map(str, args), "--json", "-q"])
    return json.loads(capsys.readouterr().out)


def test_one_project_per_answer_count(ls, tmp_path_factory, capsys):
    src = tmp_path_factory.mktemp("layouts") / "layouts.jsonl"
    write_dataset(make_dataset(), src, "jsonl")
    STATE["src"] = src
    res = push([src, "--template", "rewardbench2", "--data-dir", ls.data_dir], capsys)
    projects = res["projects"]
    assert [(p["title"], p["positions"], p["tasks"], p["predictions"], p["skipped"]) for p in projects] == [
        ("layouts (2 answers)", 2, 2, 2, 0), ("layouts (4 answers)", 4, 3, 3, 0), ("layouts (8 answers)", 8, 1, 1, 0)]
    assert (res["project_id"], res["positions"], res["tasks"], res["predictions"], res["skipped"]) == (
        projects[0]["project_id"], 2, 6, 6, 0)
    assert [p["project_url"] for p in projects] == [f"{ls.creds.url}/projects/{p['project_id']}" for p in projects]
    STATE["projects"] = {p["positions"]: p["project_id"] for p in projects}


@pytest.mark.parametrize("n", sorted(COUNTS))
def test_every_task_offers_only_its_own_answers(ls, ls_bin, n):
    pid = STATE["projects"][n]
    letters = [position_label(i) for i in range(n)]
    with ls.client() as c:
        project = c.get_project(pid)
        tasks = list(c.iter_tasks(pid))
    xml = project["label_config"]
    root = ET.fromstring(xml)
    assert [t.get("name") for t in root.iter() if t.tag in ("Text", "HyperText")
            and t.get("name", "").startswith("answer_")] == [f"answer_{p}" for p in letters]
    best = next(el for el in root.iter("Choices") if el.get("name") == "best")
    assert [(ch.get("value"), ch.get("hotkey")) for ch in best] == [
        (f"Answer {p}", str(i)) for i, p in enumerate(letters, 1)]
    # the options as Label Studio itself parsed them
    parsed = project["parsed_label_config"]
    assert parsed["best"]["labels"] == [f"Answer {p}" for p in letters]
    assert parsed["correct"]["labels"] == [f"Answer {p}" for p in letters]
    assert sorted(k for k in parsed if k.startswith("rating_")) == [f"rating_{p}" for p in letters]
    # the keys are in the instructions
    assert project["expert_instruction"].endswith(
        "Which answer is best?: " + ", ".join(f"{i} Answer {p}" for i, p in enumerate(letters, 1))
        + " (the same keys as the offline page); Ctrl+Enter submits; other choices show their key beside "
        "them.</p>")
    assert len(tasks) == COUNTS[n]
    # the Data Manager's tab shows the id, prompt and answers, not the HTML renderings or the payload
    with ls.client() as c:
        [view] = c.get(f"/api/dm/views?project={pid}")
    hidden = sorted(["tasks:data.html_prompt", "tasks:data.labelloop_order", "tasks:data.labelloop_sample",
                     "tasks:data.ranking_items"] + [f"tasks:data.html_answer_{p}" for p in letters])
    assert sorted(view["data"]["hiddenColumns"]["explore"]) == hidden
    assert view["data"]["hiddenColumns"]["labeling"] == view["data"]["hiddenColumns"]["explore"]
    for t in tasks:
        assert len(t["data"]["labelloop_order"]) == n
        assert sorted(k for k in t["data"] if k.startswith("answer_")) == [f"answer_{p}" for p in letters]
        assert not any("(no answer" in str(v) for v in t["data"].values())
        [pred] = t["predictions"]
        [item] = pred["result"]
        assert item["from_name"] == "best" and item["value"]["choices"][0] in parsed["best"]["labels"]
    # Label Studio's own SDK: the config, every task and pre-label valid; an answer past the last refused
    py = Path(ls_bin).parent / "python"
    job = {"config": xml, "extra": f"Answer {position_label(n)}",
           "tasks": [{"data": t["data"], "predictions": [{"result": p["result"]} for p in t["predictions"]]}
                     for t in tasks]}
    p = subprocess.run([str(py), "-c", SDK_CHECK], input=json.dumps(job), capture_output=True, text=True,
                       timeout=180)
    assert p.returncode == 0, p.stderr[-2000:]
    got = json.loads(p.stdout.strip().splitlines()[-1])
    assert got == {"controls": sorted(["best", "ranking", "correct", "comment"] + [f"rating_{x}" for x in letters]),
                   "best": [f"Answer {x}" for x in letters], "tasks": [True] * COUNTS[n],
                   "predictions": [True] * COUNTS[n], "impossible": False}


def test_pushing_again_adds_nothing_twice(ls, tmp_path, capsys):
    src, projects = STATE["src"], STATE["projects"]
    four = tmp_path / "four.jsonl"
    ds = make_dataset()
    ds.samples = [s for s in ds.samples if len(s.candidates) == 4]
    write_dataset(ds, four, "jsonl")
    res = push([four, "--project", projects[4], "--data-dir", ls.data_dir], capsys)
    assert (res["tasks"], res["predictions"], res["skipped"], res["project_id"]) == (0, 0, 3, projects[4])
    assert [(p["tasks"], p["skipped"]) for p in res["projects"]] == [(0, 3)]

    # a selection (as from labelloop select) naming two samples the project has and none it lacks, then a new one
    sel = tmp_path / "selection.txt"
    sel.write_text("n4-2\nn4-0\n", encoding="utf-8")
    res = push([four, "--project", projects[4], "--only", sel, "--data-dir", ls.data_dir], capsys)
    assert (res["tasks"], res["skipped"]) == (0, 2)
    ds.samples.append(DataSample(id="n4-new", prompt=[Message(role="user", content="one more")],
                                 candidates=[Candidate(id=f"c{m}", content=f"new {m}") for m in range(4)]))
    write_dataset(ds, four, "jsonl")
    sel.write_text("n4-new\nn4-1\n", encoding="utf-8")
    res = push([four, "--project", projects[4], "--only", sel, "--data-dir", ls.data_dir], capsys)
    assert (res["tasks"], res["predictions"], res["skipped"]) == (1, 0, 1)
    with ls.client() as c:
        ids = sorted(t["data"]["labelloop_id"] for t in c.iter_tasks(projects[4]))
    assert ids == ["n4-0", "n4-1", "n4-2", "n4-new"]

    # the whole file (three layouts) cannot go into one project: one sentence says why, nothing is added
    with pytest.raises(SystemExit) as exc:
        main(["labelstudio", "push", str(src), "--project", str(projects[4]), "--data-dir", str(ls.data_dir)])
    assert exc.value.code == 1
    err = " ".join(capsys.readouterr().err.split())
    assert (f"Project {projects[4]} on {ls.creds.url} shows 4 answers; these samples have 2, 4, 8 answers. Push "
            "them without a project id: labelloop makes one project per answer count.") in err
    with ls.client() as c:
        assert {n: c.get_project(pid)["task_number"] for n, pid in projects.items()} == {2: 2, 4: 4, 8: 1}


def test_cli_text_lists_every_project(ls, capsys):
    main(["labelstudio", "push", str(STATE["src"]), "--template", "rewardbench2", "--project-title", "again",
          "--data-dir", str(ls.data_dir), "-q"])
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    for line, (n, k) in zip(lines, COUNTS.items()):
        assert line.startswith(f"Pushed {k} tasks with {n} answers ({k} pre-labels, template rewardbench2) to "
                               f"project ")
        assert line.split(": ", 1)[1].startswith(f"{ls.creds.url}/projects/")
