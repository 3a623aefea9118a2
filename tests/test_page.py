"""``labelloop.page``: the shell of the two self-contained pages (the offline annotator and the dashboard)."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest

from labelloop.page import head, json_script, own, policy, script_json, sha256, static_text, text


def test_script_json_cannot_end_a_script_or_start_markup():
    obj = {"a": "</script><!-- <script> & \u2028\u2029 'q' \"dq\"", "</script>": ["<", ">", "&"]}
    enc = script_json(obj)
    for bad in ("<", ">", "&", "\u2028", "\u2029"):
        assert bad not in enc
    assert json.loads(enc) == obj
    assert enc.startswith('{"a":"\\u003c/script\\u003e\\u003c!--')
    assert json_script("x", ["</script>"]) == '<script type="application/json" id="x">["\\u003c/script\\u003e"]</script>'


def test_policy_allows_only_the_pages_own_sources():
    js, css = "run()", "body{}"
    h = base64.b64encode(hashlib.sha256(b"run()").digest()).decode()
    assert sha256(js) == h
    assert policy([js, "more()"], [css]) == (
        f"default-src 'none'; script-src 'sha256-{h}' 'sha256-{sha256('more()')}'; style-src 'sha256-{sha256(css)}'; "
        "img-src data:; base-uri 'none'; form-action 'none'; require-trusted-types-for 'script'; trusted-types 'none'")


def test_head_escapes_the_title_and_holds_the_policy_and_style():
    out = head(title="</title><script>x\x00</script> & \"q\"", css="p{}", csp="default-src 'none'")
    assert out == (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n<meta name="generator" content="labelloop">\n'
        "<title>&lt;/title&gt;&lt;script&gt;x&lt;/script&gt; &amp; &quot;q&quot;</title>\n"
        '<link rel="icon" href="data:,">\n<style>p{}</style>\n</head>\n<body>\n')
    assert '<meta name="color-scheme" content="light dark">\n<meta name="referrer"' in head(
        title="t", css="", csp="", color_scheme="light dark")
    assert text("<a href='x'>\x07") == "&lt;a href=&#x27;x&#x27;&gt;"


def test_own_sources_never_hold_their_closing_tag_and_a_folder_is_one_script():
    assert own("a.js", "let a = '<' + '/script>';", "script").endswith("/script>';")
    with pytest.raises(RuntimeError, match="contains '</script'"):
        own("a.js", "x = '</SCRIPT>'", "script")
    with pytest.raises(RuntimeError, match="contains '</style'"):
        own("a.css", "</style>", "style")
    app = static_text("labelloop.annotate.html", "annotator")
    assert app.startswith("/* labelloop offline annotator.") and app.endswith("})();\n")
    folder = Path(__file__).parents[1] / "src/labelloop/annotate/html/static/annotator"
    names = sorted(p.name for p in folder.iterdir() if p.suffix == ".js")
    assert names[0] == "00-helpers.js" and names[-1] == "70-chrome.js"
    assert app == "".join((folder / n).read_text(encoding="utf-8") for n in names)
