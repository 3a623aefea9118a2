"""A plan from ``labelloop assign`` carried out in a real Label Studio (each installed version): ``push --plan``
makes one project per person holding exactly their tasks (gold mixed in), their accounts made; each person
labels in their own project with their own login; ``pull --plan`` brings every project back as one dataset,
each answer under its person, answers on gold marked as checks."""

from __future__ import annotations

import json

from labelloop.annotate.labelstudio.session import BrowserSession
from labelloop.cli import main
from labelloop.data.io import write_dataset
from labelloop.data.model import Annotation, Candidate, DataSample, Dataset, Message
from labelloop.formats import load
from labelloop.formats.labelstudio.config import get_template
from labelloop.templates import TEMPLATES

PEOPLE = ["ana", "ben", "cai"]


def _dataset() -> Dataset:
    samples = []
    for j in range(9):
        ref = [Annotation(annotator="source", kind="reference", values={"preference": "a"})] if j < 3 else []
        samples.append(DataSample(id=f"s{j}", prompt=[Message(role="user", content=f"Question {j}")],
                                  candidates=[Candidate(id="a", content=f"good {j}"),
                                              Candidate(id="b", content=f"bad {j}")], annotations=ref))
    return Dataset(name="team", samples=samples, schema=TEMPLATES.get("rewardbench")())


def _json(args: list, capsys) -> dict:
    main([*map(str, args), "--json", "-q"])
    return json.loads(capsys.readouterr().out)


def test_a_plan_runs_in_label_studio_and_comes_back_as_one_dataset(ls, tmp_path, capsys):
    src = tmp_path / "team.jsonl"
    write_dataset(_dataset(), src, "jsonl")
    plan_path = tmp_path / "plan.json"
    main(["assign", str(src), "--annotators", ",".join(PEOPLE), "--overlap", "2", "--gold-rate", "0.1",
          "--seed", "3", "-o", str(plan_path)])
    capsys.readouterr()
    plan = json.loads(plan_path.read_text(encoding="utf-8"))
    gold = set(plan["gold"]["ids"])
    assert gold and gold <= {"s0", "s1", "s2"}

    pushed = _json(["labelstudio", "push", src, "--plan", plan_path, "--data-dir", ls.data_dir], capsys)
    assert sorted(pushed["annotators"]) == PEOPLE
    with ls.client() as c:
        emails = {u["email"] for u in c.users()}
        for name in PEOPLE:
            who = pushed["annotators"][name]
            assert who["email"] == f"{name}@labelloop.local" and who["email"] in emails
            assert who["account_created"] is True
            [project] = who["projects"]
            assert project["title"] == f"team · {name}"
            tasks = list(c.iter_tasks(project["project_id"]))
            assert sorted(t["data"]["labelloop_id"] for t in tasks) == sorted(plan["assignments"][name])
            assert who["gold"] == len(gold & set(plan["assignments"][name]))
            # gold tasks look like any other: no reference label in what the annotator sees, no pre-label
            assert all(not t["predictions"] and "reference" not in json.dumps(t["data"]) for t in tasks)
    accounts = json.loads((ls.data_dir / "annotators.json").read_text(encoding="utf-8"))
    assert (ls.data_dir / "annotators.json").stat().st_mode & 0o077 == 0
    passwords = accounts[ls.creds.url.rstrip("/")]

    # each person labels their own tasks with their own login: "a" everywhere, except cai who says "b"
    tpl = get_template("rewardbench")
    given = {}
    for name in PEOPLE:
        email = f"{name}@labelloop.local"
        pid = pushed["annotators"][name]["projects"][0]["project_id"]
        with BrowserSession(ls.creds.url) as s:
            s.login(email, passwords[email])
            tasks = s.api("GET", f"/api/tasks?project={pid}&page_size=100")
            for t in tasks["tasks"] if isinstance(tasks, dict) else tasks:
                pick = "b" if name == "cai" else "a"
                s.api("POST", f"/api/tasks/{t['id']}/annotations/",
                      json={"result": tpl.to_result({"preference": pick}, t["data"])})
                given[(t["data"]["labelloop_id"], email)] = pick

    out = tmp_path / "team-labelled.jsonl"
    pulled = _json(["labelstudio", "pull", "--plan", plan_path, "-o", out, "--data-dir", ls.data_dir], capsys)
    assert pulled["by_others"] == 0
    assert pulled["stats"]["annotations"] == len(given) == sum(len(v) for v in plan["assignments"].values())
    ds = load(out)
    got = {(s.id, a.annotator): a.values["preference"] for s in ds.samples for a in s.annotations_of("human")}
    assert got == given
    checks = {(s.id, a.annotator) for s in ds.samples for a in s.annotations_of("human") if a.metadata.get("gold_check")}
    assert checks == {k for k in given if k[0] in gold}
    assert pulled["gold_checks"] == len(checks)
    # the reference labels the gold checks are scored against came back with the samples
    assert {s.id for s in ds.samples if s.annotations_of("reference")} == {"s0", "s1", "s2"}


def test_pull_plan_of_a_plan_never_pushed_says_so(ls, tmp_path, capsys):
    src = tmp_path / "team.jsonl"
    write_dataset(_dataset(), src, "jsonl")
    plan_path = tmp_path / "other.json"
    main(["assign", str(src), "--annotators", "dee,eve", "--overlap", "1", "-o", str(plan_path)])
    capsys.readouterr()
    try:
        main(["labelstudio", "pull", "--plan", str(plan_path), "--data-dir", str(ls.data_dir)])
    except SystemExit as exc:
        assert exc.code != 0
    err = capsys.readouterr().err
    assert err == (f"error: --plan {plan_path} was not pushed to {ls.creds.url.rstrip('/')} from this data dir; push it "
                   "first with labelloop labelstudio push DATASET --plan PLAN.\n")
    assert not (tmp_path / "labelstudio-plan.jsonl").exists()
