"""Datasets the dashboard tests write (three annotators, a model, references, times over several days), and
watched dashboard pages (the Chromium itself: ``tests/conftest.py``)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))  # dash_data, the datasets

from dash_data import project_dataset  # noqa: E402

from labelloop.data.model import Dataset  # noqa: E402


@pytest.fixture
def project() -> Dataset:
    return project_dataset()


class Watched:
    """A dashboard page that records dialogs, page errors, console errors, CSP violations and requests."""

    def __init__(self, browser, path: Path, *, color_scheme: str = "light") -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=color_scheme)
        self.page = self.context.new_page()
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.add_init_script("window.__violations = []; document.addEventListener('securitypolicyviolation', "
                                  "e => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));")
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(Path(path).resolve().as_uri())
        self.page.wait_for_selector("html[data-loaded='1']", state="attached", timeout=15000)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def violations(self) -> list[str]:
        return self.page.evaluate("window.__violations")

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_page(_chromium):
    pages: list[Watched] = []

    def _open(path: Path, **kw) -> Watched:
        w = Watched(_chromium.get(), path, **kw)
        pages.append(w)
        return w

    yield _open
    for w in pages:
        w.close()
