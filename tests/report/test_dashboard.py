"""The dashboard: its figures are the quality module's (read back from the page's JSON and its visible text),
hostile data runs nothing, the page renders in Chromium in both themes without errors and makes no request,
and the Markdown carries the same figures."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from dash_data import project_dataset

from labelloop.cli import main
from labelloop.data.io import write_dataset
from labelloop.data.numbers import figure
from labelloop.formats import load
from labelloop.quality.agreement import agreement
from labelloop.report import (
    build_dashboard,
    dashboard_data,
    dashboard_markdown,
    render_html,
    render_markdown,
    write_dashboard,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "rewardbench2_example.jsonl"
DATA_RE = re.compile(r'<script type="application/json" id="dashboard-data">(.*?)</script>', re.S)


def embedded(page: str) -> dict:
    m = DATA_RE.search(page)
    assert m is not None
    return json.loads(m.group(1))


def figures(page) -> dict[str, tuple[object, str]]:
    """Every [data-fig] element of the rendered page: key -> (exact value, visible text)."""
    rows = page.eval_on_selector_all(
        "[data-fig]", "els => els.map(e => [e.getAttribute('data-fig'), e.getAttribute('data-value'), e.textContent])")
    out = {}
    for key, raw, text in rows:
        out.setdefault(key, (json.loads(raw) if raw else None, text))
    return out


@pytest.fixture(scope="module")
def data() -> dict:
    return dashboard_data(project_dataset(), bootstrap=200, seed=3)


@pytest.fixture(scope="module")
def page_file(tmp_path_factory, data) -> Path:
    path = tmp_path_factory.mktemp("dash") / "dashboard.html"
    path.write_text(render_html(data), encoding="utf-8")
    return path


def test_embedded_report_is_the_quality_modules(data: dict, page_file: Path) -> None:
    report = agreement(project_dataset(), bootstrap=200, seed=3).to_dict(top=200)
    assert embedded(page_file.read_text(encoding="utf-8"))["agreement"] == json.loads(json.dumps(report))
    assert data["agreement"] == report


def test_page_figures_equal_the_quality_module(open_page, page_file: Path) -> None:
    ds = project_dataset()
    report = agreement(ds, bootstrap=200, seed=3)
    w = open_page(page_file)
    figs = figures(w.page)
    for q in ("preference", "rating"):
        qa = report.question(q)
        value, text = figs[f"alpha/{q}"]
        assert value == qa.stats["alpha"].value and text == f"{qa.stats['alpha'].value:.3f}"
        for key, st in qa.stats.items():
            assert figs[f"stat/{q}/{key}"] == (st.value, figure(st.value))
        weights = "quadratic" if q == "rating" else "none"
        for p in qa.pairs:
            assert figs[f"kappa/{q}/{p['a']}/{p['b']}"][0] == p[weights].value
            cell = w.page.get_attribute(f"rect[data-fig='kappa/{q}/{p['a']}/{p['b']}']", "data-shared")
            assert int(cell) == p["shared_items"]
        for r in qa.per_annotator:
            assert figs[f"agreement_with_others/{q}/{r['annotator']}"] == (
                r["agreement_with_others"], f"{r['agreement_with_others']:.3f}")
            assert figs[f"alpha_without/{q}/{r['annotator']}"][0] == r["alpha_without"]
    for r in report.question("preference").accuracy:
        key = "accuracy_reference" if r["kind"] == "human" else "model_accuracy_reference"
        assert figs[f"{key}/preference/{r['annotator']}"] == (r["accuracy"], f"{r['accuracy']:.3f}")
    # the visible alpha sentence names the worst question with Krippendorff's reading
    alpha = report.question("preference").stats["alpha"].value
    assert w.page.inner_text("#alpha-reading") == (
        f"alpha {alpha:.3f} on 'preference': not reliable; revise the guidelines for 'preference' before training "
        "on these labels.")
    assert not w.errors and not w.dialogs


def test_counts_times_and_models_by_hand(open_page, page_file: Path) -> None:
    """Figures of the new quality functions, checked against the fixture by hand."""
    figs = figures(open_page(page_file).page)
    assert figs["samples"] == (10, "10") and figs["annotators"] == (3, "3") and figs["complete"] == (7, "7")
    assert figs["annotations/human"] == (29, "29") and figs["annotations/reference"] == (10, "10")
    assert [figs[f"{k}/bob"][0] for k in ("done", "skipped", "flagged")] == [9, 0, 1]
    assert [figs[f"{k}/carol"][0] for k in ("done", "skipped", "flagged")] == [8, 1, 0]
    assert figs["median_time/alice"] == (34.5, "34.5 s")  # 30..39 s
    assert figs["median_time/bob"] == (54.0, "54.0 s")  # 50..59 s without the flagged s08
    assert figs["median_time/carol"] == (24.0, "24.0 s")  # 20..28 s without the skipped s05
    assert {d: figs[f"day/2025-03-0{d}"][0] for d in (3, 4, 5, 6)} == {3: 9, 4: 8, 5: 8, 6: 2}
    # judge-v1 saw candidate "0" first everywhere and picked it on s01, s04, s06, s07, s08, s09
    assert figs["first_picked/preference/judge-v1"] == (6, "6")
    assert figs["first_rate/preference/judge-v1"] == (0.6, "0.600")
    assert figs["chance/preference/judge-v1"] == (0.5, "0.500")
    # bob saw "0" first; of his 8 picks of a candidate, 4 were "0"
    assert figs["first_picked/preference/bob"] == (4, "4")
    # against people (majority merge; s04 is a tie, so no merged label): right on 6 of 9
    assert figs["model_accuracy_people/preference/judge-v1"][0] == pytest.approx(6 / 9, abs=1e-15)
    # calibration against the merged label, the reference where the merge has none (s04)
    assert figs["calibration_accuracy/preference/judge-v1"][0] == pytest.approx(0.7, abs=1e-15)
    assert figs["ece/preference/judge-v1"] == (pytest.approx(0.25, abs=1e-12), "0.250")


def test_markdown_has_the_same_figures(data: dict) -> None:
    md = render_markdown(data)
    rows = {line.split("|")[1].strip(): [c.strip() for c in line.split("|")[1:-1]]
            for line in md.splitlines() if line.startswith("| preference |") or line.startswith("| rating |")}
    for q in data["questions"][:2]:
        assert rows[q["question"]][3] == figure(q["alpha"])
        assert rows[q["question"]][4] == f"{figure(q['alpha_ci'][0])} – {figure(q['alpha_ci'][1])}"
    for qa in data["agreement"]["questions"][:2]:
        for p in qa["pairs"]:
            assert f"| {p['a']} | {p['b']} | {p['shared_items']} | {figure(p['none']['value'])} |" in md
        for key, st in qa["stats"].items():
            assert f"| {key} | {figure(st['value'])} | {st['n_items']} |" in md
    for p in data["annotators"]:
        assert f"| {p['annotator']} | {p['submitted']} | {p['skipped']} | {p['flagged']} | {p['draft']} |" in md
    assert "| judge-v1 | preference | 0.667 | 0.700 |" in md
    assert "Completion: 7 of 10 samples have 3 submitted human answer(s) (70.0%)" in md
    assert "| 2025-03-03 | 9 | 3 | 3 | 3 |" in md
    assert "| judge-v1 | prediction | preference | 10 | 6 | 0.600 | 0.500 |" in md
    assert md == dashboard_markdown(project_dataset(), bootstrap=200, seed=3)


def test_hostile_text_runs_nothing(open_page, tmp_path: Path) -> None:
    ds = project_dataset(hostile=True)
    page = build_dashboard(ds, bootstrap=0)
    path = tmp_path / "hostile.html"
    path.write_text(page, encoding="utf-8")
    assert "<img" not in page and page.count("</script>") == 2 and page.lower().count("<script") == 2
    w = open_page(path)
    p = w.page
    names = p.eval_on_selector_all("#annotators tbody tr td:first-child", "els => els.map(e => e.textContent)")
    assert "carol<img src=x onerror=\"window.__pwned='name'\">" in names
    titles = p.eval_on_selector_all("#questions svg title", "els => els.map(e => e.textContent)")
    assert "tie · <img src=x onerror=\"window.__pwned='label'\">" in titles
    p.fill("#dsearch", "window.__pwned")  # the prompts carry it: search finds their rows
    visible = p.eval_on_selector_all("#dtable tr.drow:not([hidden])", "els => els.length")
    assert visible == p.eval_on_selector_all("#dtable tr.drow", "els => els.length") > 0
    p.click("#dtable tr.drow >> nth=0")
    detail = p.inner_text("#dtable tr.detail")
    assert "</script><script>window.__pwned='script'</script>" in detail
    assert p.evaluate("typeof window.__pwned") == "undefined"
    assert p.evaluate("document.querySelectorAll('img, iframe, object, embed').length") == 0
    assert not w.dialogs and not w.errors and not w.violations()
    assert p.title() == "pairs<b>bold</b>: annotation dashboard"


def test_renders_in_both_themes_without_errors(open_page, page_file: Path, tmp_path: Path) -> None:
    backgrounds = {}
    for scheme in ("light", "dark"):
        w = open_page(page_file, color_scheme=scheme)
        shot = tmp_path / f"dashboard-{scheme}.png"
        w.page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 20_000 and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        backgrounds[scheme] = w.page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert w.page.locator("#questions svg.heat").count() == 2
        assert w.page.locator("#throughput svg rect").count() == 11  # one block per (day, annotator) with work
        assert not w.errors and not w.dialogs and not w.violations()
    assert backgrounds == {"light": "rgb(255, 255, 255)", "dark": "rgb(20, 23, 28)"}
    w = open_page(page_file, color_scheme="light")
    w.page.click("#theme")
    assert w.page.get_attribute("html", "data-theme") == "dark"
    assert w.page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(20, 23, 28)"
    w.page.emulate_media(media="print")
    assert w.page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    assert w.page.evaluate("getComputedStyle(document.getElementById('theme')).display") == "none"


def test_page_makes_no_request(open_page, page_file: Path) -> None:
    w = open_page(page_file)
    seen: list[str] = []
    w.page.route("**/*", lambda route: (seen.append(route.request.url), route.continue_()))
    w.page.reload()
    w.page.wait_for_selector("html[data-loaded='1']", state="attached")
    w.page.click("#dtable tr.drow >> nth=0")
    w.page.click("#theme")
    w.page.fill("#dsearch", "s07")
    assert seen == [page_file.resolve().as_uri()]
    assert [u for u in w.requests if not u.startswith("file://")] == []


def test_example_without_human_annotations(open_page, tmp_path: Path) -> None:
    ds = load(str(EXAMPLE))
    data = dashboard_data(ds, bootstrap=0)
    assert data["overview"]["annotations"] == {"human": 0, "prediction": 0, "reference": 25, "aggregate": 0}
    best = next(q for q in data["questions"] if q["question"] == "best")
    assert [v["count"] for v in best["distribution"]["reference"]["values"]][:2] == [23, 0]
    path = write_dashboard(ds, tmp_path / "example.html", bootstrap=0)
    w = open_page(path)
    text = w.page.inner_text("main")
    assert "No human annotations yet: the page shows the labels there are (25 reference)." in text
    assert "Completion: no human answer yet on any of the 25 samples." in text
    assert "No agreement figure yet: nobody has labelled these samples." in text and "reference answers: 23" in text
    assert w.page.locator("#questions svg.chart").count() >= 2
    assert not w.errors and not w.dialogs and not w.violations()
    md = write_dashboard(ds, tmp_path / "example.md", fmt="md", bootstrap=0).read_text(encoding="utf-8")
    assert "reference answers: 0 23, 1 0" in md and "No human annotations yet." in md


def test_cli_html_md_json_and_reference(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ds = project_dataset()
    gold = ds.model_copy(deep=True)
    for s in ds.samples:  # the labelled file has no reference; the gold file's reference is added back
        s.annotations = [a for a in s.annotations if a.kind != "reference"]
    write_dataset(ds, tmp_path / "labels.jsonl", "jsonl")
    write_dataset(gold, tmp_path / "gold.jsonl", "jsonl")
    out = tmp_path / "dash.html"
    main(["dashboard", str(tmp_path / "labels.jsonl"), "-o", str(out), "--reference", str(tmp_path / "gold.jsonl"),
          "--bootstrap", "50", "--quiet"])
    data = embedded(out.read_text(encoding="utf-8"))
    acc = {r["annotator"]: r["accuracy"] for r in data["agreement"]["questions"][0]["accuracy"]}
    assert acc == {"alice": 0.9, "bob": 7 / 9, "carol": 0.75, "judge-v1": 0.7}
    capsys.readouterr()
    main(["dashboard", str(tmp_path / "labels.jsonl"), "--format", "md", "--bootstrap", "0"])
    md = capsys.readouterr().out
    assert md.startswith("# pairs: annotation dashboard") and "| alice | 10 | 0 | 0 | 0 |" in md
    main(["dashboard", str(tmp_path / "labels.jsonl"), "--json", "--bootstrap", "0"])
    assert json.loads(capsys.readouterr().out)["overview"]["completion"]["complete"] == 7
    for args, message in ((["--format", "pdf"], "Unknown dashboard format 'pdf'; use html or md."),
                          ([], "The html dashboard needs an output file")):
        with pytest.raises(SystemExit) as exc:
            main(["dashboard", str(tmp_path / "labels.jsonl"), *args])
        assert exc.value.code == 1 and message in capsys.readouterr().err
    other = tmp_path / "other.jsonl"
    other.write_text('{"id": "zz", "prompt": "p", "chosen": "a", "rejected": "b"}\n', encoding="utf-8")
    with pytest.raises(SystemExit):
        main(["dashboard", str(tmp_path / "labels.jsonl"), "-o", str(out), "--reference", str(other)])
    assert f"Reference {other} has no labels for any sample id of dataset 'pairs'." in capsys.readouterr().err
