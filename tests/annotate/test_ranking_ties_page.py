"""Rankings with ties on the offline page (issue 17): '=' puts an answer in the place of the one above, the page
shows the tiers, saves the tier value, reloads it, and the results file and import-results carry it."""

from __future__ import annotations

import json

from labelloop.cli import main
from labelloop.formats import load

PRIME = {"id": "ties-023", "prompt": "Name a prime number between 10 and 20.", "chosen": ["11", "13", "17", "19"],
         "rejected": ["12", "15", "21", "9"], "num_correct": 4, "num_rejected": 4, "total_completions": 8,
         "subset": "Ties"}


def test_keys_make_a_tied_ranking_that_saves_reloads_and_exports(tmp_path, open_page):
    data = tmp_path / "prime.jsonl"
    data.write_text(json.dumps(PRIME) + "\n", encoding="utf-8")
    html = tmp_path / "rb2.html"
    main(["create", str(data), "-o", str(html), "--seed", "3", "--quiet"])
    w = open_page(html)
    p = w.page
    w.start("ana")
    o = w.order()  # candidate ids in screen order: Answer A, B, …
    text = {c.id: c.content for c in load(data).samples[0].candidates}
    correct = [c for c in o if text[c] in PRIME["chosen"]]
    wrong = [c for c in o if text[c] not in PRIME["chosen"]]
    rank = f"{w.q('ranking')} li"
    # by keys: the ranking row, the correct answers first by number, '=' before each to share the first place
    p.click(w.q("ranking"))
    keys = []
    for i, c in enumerate((correct + wrong)[:-1]):  # the last one takes the place left
        keys += (["="] if 0 < i < len(correct) else []) + [str(o.index(c) + 1)]
    w.press(*keys)
    places = p.eval_on_selector_all(rank, "els => els.map(e => [e.dataset.value, e.dataset.place, e.className])")
    assert [v for v, _, _ in places] == correct + wrong
    assert [pl for _, pl, _ in places] == ["1", "1", "1", "1", "2", "3", "4", "5"]
    assert [c for _, _, c in places] == ["", "tied", "tied", "tied", "", "", "", ""]
    assert p.inner_text(f"{rank} >> nth=1 >> .pos") == "1="
    # a focused row: '=' takes the last answer into the place above it, and again out of it
    p.focus(f"{rank}[data-value='{wrong[-1]}']")
    p.keyboard.press("=")
    assert p.eval_on_selector_all(rank, "els => els.map(e => e.dataset.place)")[-1] == "4"
    assert p.evaluate("document.activeElement.dataset.value") == wrong[-1]
    p.keyboard.press("=")
    # the button does the same
    p.click(f"{rank}[data-value='{wrong[1]}'] button.tie")
    assert p.get_attribute(f"{rank}[data-value='{wrong[1]}'] button.tie", "aria-pressed") == "true"
    p.click(f"{rank}[data-value='{wrong[1]}'] button.tie")
    expected = [correct, *wrong]
    p.click(f"{w.q('best')} button[data-value='{correct[0]}']")
    assert w.status() == "submitted"
    w.reload()
    assert p.eval_on_selector_all(rank, "els => els.map(e => e.dataset.place)") == ["1", "1", "1", "1", "2", "3",
                                                                                    "4", "5"]
    result = w.export("json", tmp_path / "r.json")["results"][0]
    assert result["values"]["ranking"] == expected
    # the results file imports as the tiered ranking, and the DPO export makes 16 pairs, none among the primes
    out = tmp_path / "labelled.jsonl"
    main(["import-results", str(data), str(tmp_path / "r.json"), "-o", str(out), "--quiet"])
    ds = load(out)
    human = [a for a in ds.samples[0].annotations if a.kind == "human"]
    assert [a.values["ranking"] for a in human] == [expected]
    dpo = tmp_path / "dpo.jsonl"
    main(["export", str(out), "-f", "dpo", "-o", str(dpo), "--label-source", "human", "--question", "ranking",
          "--quiet"])
    rows = [json.loads(line) for line in dpo.read_text().splitlines()]
    assert len(rows) == 16
    assert {r["chosen"] for r in rows} == set(PRIME["chosen"]) and {r["rejected"] for r in rows} == set(PRIME["rejected"])
