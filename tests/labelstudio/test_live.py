"""Against a real Label Studio (each installed version): start, tokens, push, two people annotate, pull, stop.

The tests run in file order and share one server per version; the last one stops it.
"""

from __future__ import annotations

import json
import os
import stat
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from labelloop.annotate.labelstudio import LabelStudioClient, LabelStudioServer, pull_project
from labelloop.annotate.labelstudio.server import _group_alive, port_is_free, read_state
from labelloop.annotate.labelstudio.session import add_user
from labelloop.api import create_annotator, export_annotations_to_dataset
from labelloop.cli import main
from labelloop.data.io import write_dataset
from labelloop.data.model import Annotation, Candidate, DataSample, Dataset, Message
from labelloop.data.positions import candidate_order, position_label
from labelloop.data.schema import AnnotationSchema, Option, Question, RubricLevel
from labelloop.errors import AuthError, NotFoundError
from labelloop.formats import load
from labelloop.formats.labelstudio.config import get_template

SKIPPED_TASK = 7
STATE: dict = {}


def make_dataset() -> Dataset:
    """20 samples: 3 answers each (one layout, so one project), a reference, a model's prediction; some multi-turn.
    Samples with different answer counts go to one project each: test_layouts_live."""
    samples = []
    for i in range(20):
        n = 3
        ids = [str(k) for k in range(n)]
        cands = [Candidate(id=c, content=f"Answer {c} to question {i}: {'ü🙂' * (k + 1)} {'x' * (10 * k)}")
                 for k, c in enumerate(ids)]
        prompt = [Message(role="user", content=f"Question {i}: what is {i} + {i}?")]
        if i % 5 == 0:
            prompt = [Message(role="system", content="Be brief."), *prompt]
        rot = ids[i % n:] + ids[:i % n]
        pred = Annotation(annotator="judge", kind="prediction", model_version="judge-v1", score=0.5 + i / 100,
                          values={"best": rot[0], "ranking": rot, "rating": {c: 1 + (k + i) % 5 for k, c in
                                                                              enumerate(ids)},
                                  "correct": [rot[0]]})
        ref = Annotation(annotator="rewardbench2", kind="reference", values={"best": "0", "correct": ["0"]},
                         origin="rewardbench2")
        samples.append(DataSample(id=f"s{i:02d}", prompt=prompt, candidates=cands, annotations=[ref, pred]))
    return Dataset(name="live-test", samples=samples)


def screen_results_u1(n: int) -> list[dict]:
    """What person 1 clicked, in screen positions: B best, reversed ranking, A=5 B=2 stars, A and C correct."""
    letters = [position_label(i) for i in range(n)]
    return [
        {"from_name": "best", "to_name": "prompt", "type": "choices", "value": {"choices": ["Answer B"]}},
        {"from_name": "ranking", "to_name": "ranking_items", "type": "ranker",
         "value": {"ranker": {"ranking": letters[::-1]}}},
        {"from_name": "rating_A", "to_name": "answer_A", "type": "rating", "value": {"rating": 5}},
        {"from_name": "rating_B", "to_name": "answer_B", "type": "rating", "value": {"rating": 2}},
        {"from_name": "correct", "to_name": "prompt", "type": "choices",
         "value": {"choices": ["Answer A", "Answer C"]}},
    ]


def expected_u1(order: list[str], sid: str) -> dict:
    return {"best": order[1], "ranking": order[::-1], "rating": {order[0]: 5, order[1]: 2},
            "correct": [order[0], order[2]], "comment": f"person one on {sid}"}


def expected_u2(order: list[str]) -> dict:
    return {"best": order[0], "ranking": list(order), "rating": {order[2]: 3}}


# ---------------------------------------------------------------------- server and tokens
def test_start_gives_working_tokens(ls):
    url = ls.creds.url
    assert url.startswith("http://127.0.0.1:")
    assert stat.S_IMODE(os.stat(ls.data_dir / "credentials.json").st_mode) == 0o600
    assert ls.creds.password and len(ls.creds.password) >= 20
    with ls.client() as c:  # legacy token (1.17: switched on through the admin's session)
        assert c.whoami()["email"] == "admin@example.com"
    assert ls.creds.personal_access_token
    with LabelStudioClient(url, ls.creds.personal_access_token) as c:  # JWT refresh -> Bearer access
        assert c.whoami()["email"] == "admin@example.com"
        c._access = c._access[:-4] + "AAAA"  # a spoilt access token is refreshed on 401
        assert c.whoami()["email"] == "admin@example.com"
    with LabelStudioClient(url, "0" * 40) as bad, pytest.raises(AuthError, match=f"The token was refused by {url}"):
        bad.list_projects()
    with ls.client() as c, pytest.raises(NotFoundError, match=f"There is no project 99999 on {url}."):
        c.get_project(99999)
    again = LabelStudioServer(ls.data_dir).start()  # idempotent: the running server is reused
    assert again.already_running and again.url == url and again.pid == ls.info.pid
    st = LabelStudioServer(ls.data_dir).status()
    assert st["running"] and st["health"] and st["api"] == "ok"
    assert st["version"] == ls.info.version


# ---------------------------------------------------------------------- push, annotate, pull
def test_push_puts_tasks_and_prelabels(ls):
    ds = make_dataset()
    res = create_annotator(server_url=ls.creds.url, api_token=ls.creds.token, project_title="live round trip",
                           template_name="rewardbench2", data_dir=ls.data_dir, batch_size=7).run(ds)
    assert (res.tasks, res.predictions, res.positions, res.template, res.skipped) == (
        20, 20, 3, "rewardbench2", 0)
    assert [p["title"] for p in res.projects] == ["live round trip"]
    STATE["project"] = res.project_id
    tpl = get_template("rewardbench2")
    with ls.client() as c:
        project = c.get_project(res.project_id)
        assert project["title"] == "live round trip"
        ET.fromstring(project["label_config"])
        tasks = list(c.iter_tasks(res.project_id, page_size=6))  # four pages
    by_sid = {s.id: s for s in ds.samples}
    assert sorted(t["data"]["labelloop_id"] for t in tasks) == sorted(by_sid)
    orders = {}
    for t in tasks:
        sample = by_sid[t["data"]["labelloop_id"]]
        order = t["data"]["labelloop_order"]
        assert order == candidate_order(sample, seed=0)
        assert sorted(order) == sorted(c.id for c in sample.candidates)
        for pos, cid in enumerate(order):  # the text at each screen position is that candidate's
            assert t["data"][f"answer_{position_label(pos)}"] == sample.candidate(cid).content
        [pred] = t["predictions"]
        want = sample.annotations[1]
        assert pred["model_version"] == "judge-v1"
        assert pred["score"] == pytest.approx(want.score)
        assert tpl.process_annotations(pred["result"], t["data"]) == want.values
        orders[sample.id] = (t["id"], order)
    assert sum(order != sorted(order) for _, order in orders.values()) >= 10  # the order really is shuffled
    STATE["orders"] = orders


def test_two_people_annotate_and_pull_brings_back_everything(ls):
    pid, orders = STATE["project"], STATE["orders"]
    with ls.client() as admin:
        u1 = add_user(admin, "one@example.com", "first-person-pw-1")
        u2 = add_user(admin, "two@example.com", "second-person-pw-2")
    with LabelStudioClient(ls.creds.url, u1["token"]) as c1, LabelStudioClient(ls.creds.url, u2["token"]) as c2:
        assert c1.whoami()["email"] == "one@example.com"
        for i, (sid, (task_id, order)) in enumerate(sorted(orders.items())):
            result = screen_results_u1(len(order)) + [
                {"from_name": "comment", "to_name": "prompt", "type": "textarea",
                 "value": {"text": [f"person one on {sid}"]}}]
            c1.create_annotation(task_id, result, lead_time=10.0 + i)
        for i, (_sid, (task_id, _order)) in enumerate(sorted(orders.items())):
            if i == SKIPPED_TASK:
                c2.create_annotation(task_id, [], was_cancelled=True, lead_time=1.5)
                continue
            result = [
                {"from_name": "best", "to_name": "prompt", "type": "choices", "value": {"choices": ["Answer A"]}},
                {"from_name": "ranking", "to_name": "ranking_items", "type": "ranker",
                 "value": {"ranker": {"ranking": [position_label(k) for k in range(len(_order))]}}},
                {"from_name": "rating_C", "to_name": "answer_C", "type": "rating", "value": {"rating": 3}},
            ]
            c2.create_annotation(task_id, result, lead_time=20.0 + i)

    ds, stats = pull_project(pid, ls.creds.url, ls.creds.token, data_dir=ls.data_dir)
    assert (stats.tasks, stats.annotations, stats.new, stats.updated, stats.unchanged, stats.skipped) == (
        20, 40, 40, 0, 0, 1)
    assert stats.annotators == ["one@example.com", "two@example.com"]
    assert len(ds.samples) == 20 and stats.rebuilt_samples == 0
    assert ds.schema is not None and ds.schema.name == "rewardbench2"
    for i, sample in enumerate(sorted(ds.samples, key=lambda s: s.id)):
        _, order = orders[sample.id]
        kinds = [(a.kind, a.annotator) for a in sample.annotations]
        assert kinds == [("reference", "rewardbench2"), ("prediction", "judge"), ("human", "one@example.com"),
                         ("human", "two@example.com")]
        h1, h2 = sample.annotations[2:]
        assert h1.values == expected_u1(order, sample.id)
        assert h1.status == "submitted" and h1.lead_time_s == 10.0 + i and h1.origin == "labelstudio"
        assert h1.created_at is not None and h1.updated_at is not None
        assert h1.metadata["labelstudio"]["project_id"] == STATE["project"]
        if i == SKIPPED_TASK:
            assert (h2.status, h2.values, h2.lead_time_s) == ("skipped", {}, 1.5)
        else:
            assert (h2.status, h2.values, h2.lead_time_s) == ("submitted", expected_u2(order), 20.0 + i)
        assert ds.schema.validate_values(sample, h1.values) == []
    STATE["pulled"] = ds


def test_pull_again_changes_nothing_then_only_the_change(ls, tmp_path):
    pid, first = STATE["project"], STATE["pulled"]
    again, stats = pull_project(pid, ls.creds.url, ls.creds.token, dataset=first, data_dir=ls.data_dir)
    assert (stats.new, stats.updated, stats.unchanged) == (0, 0, 40)
    assert again.model_dump(mode="json") == first.model_dump(mode="json")

    # person one changes their mind on the first task: B -> C
    sid = "s00"
    task_id, order = STATE["orders"][sid]
    sample = first.by_id()[sid]
    ann_id = sample.annotations[2].metadata["labelstudio"]["annotation_id"]
    with ls.client() as c:
        new_result = [r if r["from_name"] != "best" else {**r, "value": {"choices": ["Answer C"]}}
                      for r in c.get(f"/api/annotations/{ann_id}/")["result"]]
        c.update_annotation(ann_id, result=new_result)
    changed, stats = pull_project(pid, ls.creds.url, ls.creds.token, dataset=again, data_dir=ls.data_dir)
    assert (stats.new, stats.updated, stats.unchanged) == (0, 1, 39)
    s = changed.by_id()[sid]
    assert len(s.annotations) == 4
    assert s.annotations[2].values["best"] == order[2]
    assert s.annotations[2].values["ranking"] == order[::-1]
    same = export_annotations_to_dataset(pid, ls.creds.url, ls.creds.token, dataset=changed, data_dir=ls.data_dir)
    assert same.model_dump(mode="json") == changed.model_dump(mode="json")

    # page by page gives the same as the export
    paged, stats = pull_project(pid, ls.creds.url, ls.creds.token, data_dir=ls.data_dir, method="pages", page_size=6)
    assert (stats.tasks, stats.new, stats.skipped) == (20, 40, 1)
    assert paged.model_dump(mode="json") == changed.model_dump(mode="json")

    # with nothing kept locally, the samples the tasks carry: the same dataset (models, turns, references too)
    rebuilt, stats = pull_project(pid, ls.creds.url, ls.creds.token, data_dir=tmp_path / "elsewhere")
    assert stats.rebuilt_samples == 20 and stats.new == 40 and stats.notes == []
    r = rebuilt.by_id()[sid]
    assert [c.id for c in r.candidates] == order
    assert rebuilt.model_dump(mode="json") == changed.model_dump(mode="json")


def test_generic_template_every_control_is_accepted(ls):
    """Label Studio validates the label config and takes predictions of every control type."""
    schema = AnnotationSchema(name="everything", questions=[
        Question(name="verdict", type="single_choice", options_from_candidates=True,
                 options=[Option(value="tie", label="Tie")]),
        Question(name="flags", type="multi_choice", required=False,
                 options=[Option(value="unsafe"), Option(value="wrong", label="Factually wrong")]),
        Question(name="overall", type="rating", min=0, max=10, step=0.5),
        Question(name="stars", type="rating", min=1, max=7, per_candidate=True),
        Question(name="rubric", type="rating", per_candidate=True,
                 rubric=[RubricLevel(value=0, label="bad"), RubricLevel(value=2, label="fine")]),
        Question(name="order", type="ranking", options_from_candidates=True),
        Question(name="why", type="text", per_candidate=True, required=False),
        Question(name="errors", type="span", options=[Option(value="err", label="Error")], required=False),
    ])
    tpl = get_template(schema)
    sample = DataSample(id="g1", prompt=[Message(role="user", content="Say hi 👋 twice")],
                        candidates=[Candidate(id="x", content="hi 👋 hi"), Candidate(id="y", content="hello")])
    values = {"verdict": "y", "flags": ["wrong"], "overall": 7.5, "stars": {"x": 6, "y": 2},
              "rubric": {"x": 2, "y": 0}, "order": ["y", "x"], "why": {"x": "too short"},
              "errors": [{"field": "candidates.x", "start": 3, "end": 4, "label": "err"},
                         {"field": "prompt", "start": 0, "end": 3, "label": "err"}]}
    sample.annotations.append(Annotation(annotator="m", kind="prediction", values=values, model_version="m1"))
    res = create_annotator(server_url=ls.creds.url, api_token=ls.creds.token, project_title="every control",
                           template_name=None, data_dir=ls.data_dir, seed=3).run(
        Dataset(name="generic", samples=[sample], schema=schema))
    assert res.template == "everything"
    with ls.client() as c:
        [task] = list(c.iter_tasks(res.project_id))
    [pred] = task["predictions"]
    assert tpl.process_annotations(pred["result"], task["data"]) == {
        **values, "errors": sorted(values["errors"], key=lambda s: (s["field"], s["start"]))}
    spans = {r["to_name"]: r["value"] for r in pred["result"] if r["type"] == "labels"}
    order = task["data"]["labelloop_order"]
    pos_x = "answer_" + position_label(order.index("x"))
    assert spans[pos_x]["text"] == "👋" and (spans[pos_x]["start"], spans[pos_x]["end"]) == (3, 5)  # UTF-16


# ---------------------------------------------------------------------- the command line
def test_cli_status_push_pull_webhook(ls, tmp_path, capsys):
    dd = str(ls.data_dir)
    main(["labelstudio", "status", "--data-dir", dd, "--json"])
    st = json.loads(capsys.readouterr().out)
    assert st["running"] is True and st["api"] == "ok" and st["url"] == ls.creds.url

    src = tmp_path / "small.jsonl"
    small = make_dataset()
    small.samples = small.samples[:3]
    write_dataset(small, src, "jsonl")
    main(["labelstudio", "push", str(src), "--template", "rewardbench2", "--data-dir", dd, "--json", "-q"])
    pushed = json.loads(capsys.readouterr().out)
    assert (pushed["tasks"], pushed["predictions"]) == (3, 3)

    out = tmp_path / "pulled.jsonl"
    for expected_new in (0, 0):
        main(["labelstudio", "pull", "--project", str(pushed["project_id"]), "-o", str(out), "--data-dir", dd,
              "--json", "-q"])
        stats = json.loads(capsys.readouterr().out)
        assert (stats["tasks"], stats["new"]) == (3, expected_new)
    assert [s.id for s in load(out, format="labelloop").samples] == ["s00", "s01", "s02"]

    main(["labelstudio", "webhook", "add", "--project", str(pushed["project_id"]), "--url",
          "http://127.0.0.1:9/hook", "--events", "ANNOTATION_CREATED,ANNOTATION_UPDATED", "--data-dir", dd])
    assert "calls http://127.0.0.1:9/hook for ANNOTATION_CREATED, ANNOTATION_UPDATED" in capsys.readouterr().out
    with ls.client() as c:
        hooks = c.list_webhooks(pushed["project_id"])
    assert [(h["url"], sorted(h["actions"])) for h in hooks] == [
        ("http://127.0.0.1:9/hook", ["ANNOTATION_CREATED", "ANNOTATION_UPDATED"])]

    with pytest.raises(SystemExit) as exc:
        main(["labelstudio", "pull", "--project", "4242", "-o", str(tmp_path / "x.jsonl"), "--data-dir", dd])
    assert exc.value.code == 1
    assert f"There is no project 4242 on {ls.creds.url}." in capsys.readouterr().err


def test_stop_leaves_no_process_and_keeps_the_data(ls, capsys):
    state = read_state(ls.data_dir)
    pgid, port = state["pgid"], state["port"]
    assert _group_alive(pgid)
    main(["labelstudio", "stop", "--data-dir", str(ls.data_dir)])
    assert "Stopped Label Studio" in capsys.readouterr().out
    assert not _group_alive(pgid)
    assert port_is_free(port)
    assert read_state(ls.data_dir) is None
    assert (ls.data_dir / "label_studio.sqlite3").exists() and (ls.data_dir / "credentials.json").exists()
    assert Path(ls.data_dir / "projects").is_dir()
    main(["labelstudio", "stop", "--data-dir", str(ls.data_dir)])
    assert "No Label Studio started from" in capsys.readouterr().out

    # started again from the same data dir: same admin, same token, the projects are still there
    server = LabelStudioServer(ls.data_dir, port=0, label_studio_bin=state["bin"])
    info = server.start()
    try:
        assert not info.already_running and info.pid != state["pid"]
        with LabelStudioClient(info.url, ls.creds.token) as c:
            assert c.whoami()["email"] == "admin@example.com"
            assert c.get_project(STATE["project"])["title"] == "live round trip"
    finally:
        assert server.stop()
    assert not _group_alive(info.pid)


def test_data_dir_and_its_secrets_are_private(ls):
    """The data dir existed with mode 0755 (the fixture made it so): start made it 0700, and the database
    (which holds the admin token), the credentials and the log are 0600."""
    import stat as st

    def mode(p):
        return st.S_IMODE(p.stat().st_mode)

    assert mode(ls.data_dir) == 0o700
    files = {p.name: mode(p) for p in ls.data_dir.iterdir() if p.is_file()}
    assert {"label_studio.sqlite3", "credentials.json"} <= set(files)
    assert {name: m for name, m in files.items() if m & 0o077} == {}
