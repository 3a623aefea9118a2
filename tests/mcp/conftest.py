"""Fixtures for the MCP server tests; the LLM stand-in is the loopback server of tests/assist (loaded from
its file, not copied)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # mcp_client, the client helpers

REPO = Path(__file__).resolve().parents[2]


def _assist_conftest():
    spec = importlib.util.spec_from_file_location("labelloop_tests_assist_conftest", REPO / "tests/assist/conftest.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


FakeLLM = _assist_conftest().FakeLLM


@pytest.fixture()
def llm_server():
    server = FakeLLM()
    yield server
    server.close()
