"""Through Label Studio's own labeling screen (each installed version, in Chromium): a ranking is what a person
dragged into the Ranker's buckets, one bucket per place (the rewardbench2 ranking allows ties: answers in one bucket
share that place). Label Studio saves a Ranker on submit even when nobody touched it; such a task pulls with no
ranking and the missing required answer reported, never as a ranking in screen order.
"""

from __future__ import annotations

import json
import time

import pytest

from labelloop.annotate.labelstudio import pull_project
from labelloop.cli import main
from labelloop.data.io import write_dataset
from labelloop.data.model import Candidate, DataSample, Dataset, Message

CHROMIUM = "/usr/bin/chromium"


def _dataset() -> Dataset:
    return Dataset(name="ranker", samples=[
        DataSample(id=f"s{j}", prompt=[Message(role="user", content=f"Question {j}")],
                   candidates=[Candidate(id=f"c{k}", content=f"answer {k} to {j}") for k in range(3)])
        for j in range(2)])


def _drag(page, item, column) -> None:
    """A mouse drag in small steps (Label Studio's lists react to movement, not to a jump), dropped below the
    last item already in ``column`` (or at its top)."""
    item.scroll_into_view_if_needed()
    placed = column.locator(".htx-ranker-item")
    a = item.bounding_box()
    if placed.count():
        last = placed.nth(placed.count() - 1).bounding_box()
        x1, y1 = last["x"] + 60, last["y"] + last["height"] + 15
    else:
        b = column.bounding_box()
        x1, y1 = b["x"] + 60, b["y"] + 110
    x0, y0 = a["x"] + 40, a["y"] + 20
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.wait_for_timeout(150)
    for k in range(1, 21):
        page.mouse.move(x0 + (x1 - x0) * k / 20, y0 + (y1 - y0) * k / 20)
        page.wait_for_timeout(25)
    page.mouse.up()
    page.wait_for_timeout(600)


def _saved(ls, task_id: int) -> None:
    """Wait (at most 30 s) until Label Studio has stored an annotation of the task."""
    with ls.client() as c:
        for _ in range(60):
            if c.get(f"/api/tasks/{task_id}/annotations/", what="annotations"):
                return
            time.sleep(0.5)
    raise AssertionError(f"task {task_id}: the submit stored no annotation within 30 s")


def test_only_what_a_person_ranks_is_a_ranking(ls, tmp_path, capsys):
    playwright = pytest.importorskip("playwright.sync_api")
    src = tmp_path / "ranker.jsonl"
    write_dataset(_dataset(), src, "jsonl")
    main(["labelstudio", "push", str(src), "--template", "rewardbench2", "--data-dir", str(ls.data_dir), "--json",
          "-q"])
    pid = json.loads(capsys.readouterr().out)["project_id"]
    with ls.client() as c:
        tasks = {t["data"]["labelloop_id"]: t for t in c.iter_tasks(pid)}
    order = tasks["s1"]["data"]["labelloop_order"]  # candidate id at screen positions A, B, C
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-background-networking"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1600})
            page.goto(ls.creds.url + "/user/login/")
            page.fill("input[name=email]", ls.creds.email)
            page.fill("input[name=password]", ls.creds.password)
            page.click("button[type=submit]")
            page.wait_for_load_state("networkidle")
            # s0: the best answer by its key, the ranking left as it is, submitted
            page.goto(f"{ls.creds.url}/projects/{pid}/data?task={tasks['s0']['id']}")
            page.locator(".htx-ranker-item").first.wait_for(timeout=60_000)
            page.get_by_text("Which answer is best?").click()
            page.keyboard.press("1")
            page.get_by_role("button", name="Submit").click()
            _saved(ls, tasks["s0"]["id"])
            # s1: answer C to the 1st place, A and B both to the 2nd (a tie)
            page.goto(f"{ls.creds.url}/projects/{pid}/data?task={tasks['s1']['id']}")
            page.locator(".htx-ranker-item").first.wait_for(timeout=60_000)
            page.get_by_text("Which answer is best?").click()  # the screen, not the address bar, has the focus
            page.keyboard.press("2")
            columns = page.locator(".htx-ranker-column")
            assert [columns.nth(i).inner_text().split("\n")[0] for i in (1, 2, 3)] == ["1st", "2nd", "3rd"]
            for letter, place in (("C", 1), ("A", 2), ("B", 2)):
                _drag(page, page.locator(".htx-ranker-item", has_text=f"Answer {letter}").first, columns.nth(place))
            page.get_by_role("button", name="Submit").click()
            _saved(ls, tasks["s1"]["id"])
        finally:
            browser.close()
    ds, stats = pull_project(pid, ls.creds.url, ls.creds.token, data_dir=ls.data_dir)
    got = {s.id: s.annotations_of("human")[0].values for s in ds.samples}
    assert got["s0"] == {"best": tasks["s0"]["data"]["labelloop_order"][0]}
    assert got["s1"] == {"best": order[1], "ranking": [order[2], [order[0], order[1]]]}
    assert stats.missing_required == {"ranking": 1}
    assert [(t["sample_id"], t["questions"]) for t in stats.missing_tasks] == [("s0", ["ranking"])]
    assert stats.unmapped == {}
