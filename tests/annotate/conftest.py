"""Browser contexts and watched pages for the offline annotator (the Chromium itself: ``tests/conftest.py``)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # annot_pages, the page helpers


@pytest.fixture
def context(browser):
    ctx = browser.new_context(accept_downloads=True, viewport={"width": 1400, "height": 900})
    yield ctx
    ctx.close()


@pytest.fixture
def open_page(context):
    """Opens a page with watchers: any dialog, page error or CSP violation fails the test at teardown."""
    from annot_pages import Watched

    pages: list[Watched] = []

    def _open(path: Path, ctx=None, **kw) -> Watched:
        w = Watched(ctx or context, path, **kw)
        pages.append(w)
        return w

    yield _open
    for w in pages:
        w.assert_clean()
