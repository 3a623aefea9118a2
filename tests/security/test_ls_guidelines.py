"""Guidelines rendered for Label Studio's instruction box in linear time (issue 14, item 9, the same regex flaw
as the page's): a heading padded with spaces made the old pattern backtrack (20,000 spaces: 6 s; 200,000:
about ten minutes). The bound here is a deadline, not a timing: the fixed code takes milliseconds."""

from __future__ import annotations

import subprocess
import sys

from labelloop.formats.labelstudio.instructions import guidelines_html


def test_closing_hashes_and_spaces_are_stripped():
    assert guidelines_html("## Title ##\n\n# x  #  \n\n#   spaced   \n\n# C# <b>") == (
        "<h4>Title</h4><h3>x</h3><h3>spaced</h3><h3>C# &lt;b&gt;</h3>")


def test_padded_heading_renders_within_a_deadline():
    code = ("from labelloop.formats.labelstudio.instructions import guidelines_html; "
            "print(guidelines_html('# a' + ' ' * 200000 + 'b')[:10])")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert (p.returncode, p.stdout) == (0, "<h3>a     \n")
