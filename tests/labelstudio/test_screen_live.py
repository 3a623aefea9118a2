"""The labeling screen in a real Label Studio (each installed version) in a real Chromium: Markdown in prompts and
answers rendered as inert HTML (``labelloop.markdown.to_html`` into ``<HyperText inline>``): nothing from the data
runs, its HTML shows as text, tables, bold and code blocks render; a single-turn task shows no conversation block;
keys 1..4 pick the preference and Ctrl+Enter submits; the label comes back by pull, from an empty data dir too, and
the HTML never reaches the rebuilt sample.

Label Studio's own SDK (``LabelInterface``, installed beside each server) validates the config, the tasks and the
pre-label.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from labelloop.annotate.labelstudio import pull_project
from labelloop.cli import main
from labelloop.data.io import write_dataset
from labelloop.data.model import Annotation, Candidate, DataSample, Dataset, Message

HOSTILE = ('Hi <img src=x onerror="window.pwn=1"> <script>window.pwn=2</script> [run](javascript:window.pwn=3) '
           "[docs](https://example.com/docs)\n\n```\n<b>raw</b><img src=y onerror=\"window.pwn=4\">\n```\n\n"
           "**bold** and `code`\n\n| a | b |\n|---|---|\n| 1 | 2 |")
ANSWER = "**Strong** <script>window.pwn=5</script><svg onload=\"window.pwn=6\"></svg>"
STATE: dict = {}

SDK_CHECK = """
import json, sys, warnings
warnings.simplefilter("ignore")
from label_studio_sdk.label_interface import LabelInterface
job = json.load(sys.stdin)
li = LabelInterface(job["config"])
li.validate()
print(json.dumps({"objects": sorted((o.name, o.tag) for o in li.objects),
                  "tasks": [li.validate_task({"data": t["data"]}) for t in job["tasks"]],
                  "predictions": [li.validate_prediction(p) for t in job["tasks"] for p in t["predictions"]]}))
"""


def make_dataset() -> Dataset:
    pred = Annotation(annotator="judge", kind="prediction", model_version="judge-v1", values={"preference": "y"})
    return Dataset(name="screen", samples=[
        DataSample(id="md", prompt=[Message(role="user", content=HOSTILE)],
                   candidates=[Candidate(id="x", content=ANSWER, model="m-x"), Candidate(id="y", content="plain")],
                   annotations=[pred]),
        DataSample(id="chat", prompt=[Message(role="system", content="Be brief."), Message(role="user", content="Hi"),
                                      Message(role="assistant", content="Hello **there**"),
                                      Message(role="user", content="And now?")],
                   candidates=[Candidate(id="x", content="one"), Candidate(id="y", content="two")])])


@pytest.fixture(scope="module")
def project(ls, tmp_path_factory):
    src = tmp_path_factory.mktemp("screen") / "screen.jsonl"
    write_dataset(make_dataset(), src, "jsonl")
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["labelstudio", "push", str(src), "--template", "rewardbench", "--data-dir", str(ls.data_dir),
              "--json", "-q"])
    pid = json.loads(out.getvalue())["project_id"]
    with ls.client() as c:
        tasks = {t["data"]["labelloop_id"]: t for t in c.iter_tasks(pid)}
        config = c.get_project(pid)["label_config"]
    return {"id": pid, "tasks": tasks, "config": config}


def test_label_studio_s_sdk_accepts_the_config_tasks_and_pre_label(ls, ls_bin, project):
    py = Path(ls_bin).parent / "python"
    job = {"config": project["config"],
           "tasks": [{"data": t["data"], "predictions": [{"result": p["result"]} for p in t["predictions"]]}
                     for t in project["tasks"].values()]}
    p = subprocess.run([str(py), "-c", SDK_CHECK], input=json.dumps(job), capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stderr[-2000:]
    got = json.loads(p.stdout.strip().splitlines()[-1])
    assert got == {"objects": [["answer_A", "HyperText"], ["answer_B", "HyperText"], ["context", "HyperText"],
                               ["prompt", "HyperText"]],
                   "tasks": [True, True], "predictions": [True]}
    # the plain text stays in the data (pulls and the ML backend read it) beside its rendering
    md = project["tasks"]["md"]["data"]
    assert md["prompt"] == HOSTILE and md["context"] == "" and md["context_title"] == ""
    assert "<script>" not in json.dumps({k: v for k, v in md.items() if k.startswith("html_")})


def _login(page, ls) -> None:
    page.goto(ls.creds.url + "/user/login")
    page.fill("input[name=email]", ls.creds.email)
    page.fill("input[name=password]", ls.creds.password)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_load_state("networkidle")


def _open(page, ls, project, sid: str) -> None:
    page.goto(f"{ls.creds.url}/projects/{project['id']}/data?task={project['tasks'][sid]['id']}")
    page.wait_for_selector("text=Which answer is better?", timeout=120_000)
    page.wait_for_selector("text=Answer B", timeout=60_000)


SCREEN = """() => {
  const root = document.querySelector('.lsf-main-view, .ls-main-view, [class*="main-view"]') || document.body;
  const text = root.innerText;
  const q = (sel) => Array.from(root.querySelectorAll(sel));
  return {pwn: window.pwn === undefined ? null : window.pwn,
          hostile_elements: q('img, svg, iframe, object, embed').filter(e => e.closest('.htx-richtext, [class*="richtext"]')).length,
          scripts_in_text: q('.htx-richtext script, [class*="richtext"] script').length,
          tables: q('table').map(t => Array.from(t.querySelectorAll('th, td')).map(c => c.textContent)),
          strong: q('strong').map(e => e.textContent),
          pre: q('pre').map(e => e.textContent),
          links: q('a[href]').filter(a => a.closest('.htx-richtext, [class*="richtext"]')).map(a => a.getAttribute('href')),
          shows_escaped: text.includes('<img src=x onerror="window.pwn=1">') && text.includes('<script>window.pwn=2</script>')
                         && text.includes('[run](javascript:window.pwn=3)') && text.includes('<script>window.pwn=5</script>'),
          conversation: text.includes('Conversation so far'), no_earlier: text.includes('no earlier turns'),
          text: text.slice(0, 4000)};
}"""


def test_nothing_from_the_data_runs_and_markdown_renders(ls, project, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        _login(page, ls)
        _open(page, ls, project, "md")
        page.wait_for_selector("table", timeout=60_000)
        got = page.evaluate(SCREEN)
        assert (got["pwn"], dialogs, got["hostile_elements"], got["scripts_in_text"]) == (None, [], 0, 0), got["text"]
        assert got["shows_escaped"], got["text"]
        assert got["tables"] == [["a", "b", "1", "2"]]
        assert "bold" in got["strong"] and "Strong" in got["strong"]
        assert '<b>raw</b><img src=y onerror="window.pwn=4">' in got["pre"]
        assert got["links"] == ["https://example.com/docs"]  # the javascript: link stayed text
        assert (got["conversation"], got["no_earlier"]) == (False, False)  # a single-turn task: no such block

        _open(page, ls, project, "chat")
        page.wait_for_selector("text=Conversation so far", timeout=60_000)
        got = page.evaluate(SCREEN)
        assert (got["conversation"], got["no_earlier"], got["pwn"], dialogs) == (True, False, None, [])
        assert ["system", "user", "assistant", "there"] == [s for s in got["strong"] if s in (
            "system", "user", "assistant", "there")]
        assert "And now?" in got["text"] and "Be brief." in got["text"]
    finally:
        context.close()


def test_keys_pick_and_submit_and_the_label_comes_back(ls, project, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        _login(page, ls)
        _open(page, ls, project, "chat")
        page.keyboard.press("2")  # Answer B
        page.keyboard.press("Control+Enter")
        tid = project["tasks"]["chat"]["id"]
        with ls.client() as c:
            for _ in range(60):
                anns = c.get(f"/api/tasks/{tid}/annotations")
                if anns:
                    break
                page.wait_for_timeout(500)
        assert [[(r["from_name"], r["value"]) for r in a["result"]] for a in anns] == [
            [("preference", {"choices": ["Answer B"]})]]
    finally:
        context.close()
    ds, stats = pull_project(project["id"], ls.creds.url, ls.creds.token, data_dir=tmp_path / "elsewhere")
    by_id = {s.id: s for s in ds.samples}
    order = project["tasks"]["chat"]["data"]["labelloop_order"]
    [human] = [a for a in by_id["chat"].annotations if a.kind == "human"]
    assert human.values == {"preference": order[1]} and human.annotator == ls.creds.email
    assert stats.unmapped == {}
    # the rebuilt samples are the pushed ones: the text's HTML and the context's title are the screen's only
    want = make_dataset().by_id()
    for sid in ("md", "chat"):
        s = by_id[sid]
        assert (s.prompt, s.candidates, s.metadata) == (want[sid].prompt, want[sid].candidates, want[sid].metadata)
    assert [(a.kind, a.values) for a in by_id["md"].annotations] == [("prediction", {"preference": "y"})]
