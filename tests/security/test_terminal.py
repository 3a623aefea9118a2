"""Names from data printed by the CLI are inert: no Rich markup, no terminal escapes (issue 14, items 6 and Low)."""

from __future__ import annotations

import subprocess
import sys

from labelloop.data.display import visible
from labelloop.data.model import Annotation, Candidate, DataSample, Dataset, Message
from labelloop.formats import save
from labelloop.templates import TEMPLATES

NAME = "[/x]ds \x1b]8;;http://evil.example\x07click\x1b]8;;\x07"
SUBSET = "[red]sub[/red]\x1b[2J"
ANNOTATORS = ("[link=http://evil.example]ana[/link]", "ben\r\x1b[31m", "cai\x00\u202e")


def _dataset(path):
    samples = []
    for i in range(4):
        s = DataSample(id=f"s{i}", prompt=[Message(role="user", content=f"q{i}")], metadata={"subset": SUBSET},
                       candidates=[Candidate(id="0", content="a"), Candidate(id="1", content="b")])
        for j, who in enumerate(ANNOTATORS):
            s.annotations.append(Annotation(annotator=who, kind="human", values={"preference": "01"[(i + j) % 2]}))
        samples.append(s)
    save(Dataset(name=NAME, samples=samples, schema=TEMPLATES.get("rewardbench")()), path)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "labelloop.cli", *args], capture_output=True, text=True, timeout=120)


def test_visible_escapes_every_control_character():
    assert visible("a\tb\nc\x1b[31m\r\x00\x7f\x9b\u202e") == "a\tb\nc\\x1b[31m\\x0d\\x00\\x7f\\x9b\\u202e"


def test_info_prints_names_as_text(tmp_path):
    _dataset(tmp_path / "d.jsonl")
    p = _cli("info", str(tmp_path / "d.jsonl"))
    assert p.returncode == 0, p.stderr
    assert "\x1b" not in p.stdout and "\r" not in p.stdout and "\x00" not in p.stdout
    assert p.stdout.splitlines()[0] == ("[/x]ds \\x1b]8;;http://evil.example\\x07click\\x1b]8;;\\x07: 4 samples, "
                                        "format labelloop, schema rewardbench")
    assert "[red]sub[/red]\\x1b[2J" in p.stdout
    for shown in ("[link=http://evil.example]ana[/link]", "ben\\x0d\\x1b[31m", "cai\\x00\\u202e"):
        assert shown in p.stdout


def test_agreement_prints_names_as_text(tmp_path):
    _dataset(tmp_path / "d.jsonl")
    p = _cli("agreement", str(tmp_path / "d.jsonl"))
    assert p.returncode == 0, p.stderr
    assert "\x1b" not in p.stdout and "\r" not in p.stdout and "\x00" not in p.stdout and "Traceback" not in p.stderr
    assert "[link=http://evil.example]ana[/link]" in p.stdout and "ben\\x0d\\x1b[31m" in p.stdout
