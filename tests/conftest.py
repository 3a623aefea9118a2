"""Fixtures shared by several test folders.

A real headless Chromium (Debian's, never a downloaded one) driven by Playwright, for the offline annotator
(``tests/annotate``), the dashboard (``tests/report``) and the worst-case pages (``tests/security/test_pages.py``).
The loopback stand-in for the OpenAI and Anthropic APIs (``llm_server``, ``tests/fake_llm.py``) for
tests/assist, tests/mcp, tests/labelstudio and tests/security; and the CLI-in-a-subprocess helpers
(``tests/cli_run.py``). Helper modules at this level are importable from every folder.
Folder-specific fixtures (pages with watchers, datasets) stay in the folders' own conftests.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # fake_llm, cli_run: helpers shared by several folders
from fake_llm import FakeLLM  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--no-first-run",
                 "--disable-component-update", "--disable-sync"]


class _Chromium:
    """One Chromium shared by every test that asks for it (started on first use).

    Playwright's sync API leaves its event loop marked as running on this thread, which breaks
    ``asyncio.run()`` in other tests; so the browser is stopped as soon as the next test neither uses it nor
    lives in the same file (see ``pytest_runtest_teardown``) and started again when a test asks for it.
    """

    def __init__(self) -> None:
        self._manager = None
        self.browser = None

    def get(self):
        if self.browser is None:
            from playwright.sync_api import sync_playwright

            if not CHROMIUM.exists():
                pytest.fail("Chromium is missing: install it with `apt-get install -y chromium` (the tests drive "
                            "the real browser, never a downloaded one).")
            self._manager = sync_playwright()
            pw = self._manager.__enter__()
            self.browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        return self.browser

    def stop(self) -> None:
        if self.browser is not None:
            self.browser.close()
            self._manager.__exit__(None, None, None)
            self.browser = self._manager = None


_CHROMIUM = _Chromium()


@pytest.fixture(scope="session")
def _chromium():
    yield _CHROMIUM
    _CHROMIUM.stop()


@pytest.fixture
def browser(_chromium):
    return _chromium.get()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    yield
    if _CHROMIUM.browser is None:
        return
    if (nextitem is None or ("_chromium" not in getattr(nextitem, "fixturenames", ())
                             and Path(str(nextitem.fspath)) != Path(str(item.fspath)))):
        _CHROMIUM.stop()


@pytest.fixture()
def llm_server():
    server = FakeLLM()
    yield server
    server.close()
