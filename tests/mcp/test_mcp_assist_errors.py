"""One check in ops, named in each front end's terms: the provider's options without a provider are
``--model, --base-url and --api-key-env`` on the command line and ``model, base_url and api_key_env`` over MCP;
an unknown ``--fit-on`` likewise."""

from __future__ import annotations

import pytest
from mcp_client import call_error, run_client, server_params

from labelloop.cli import main
from labelloop.data.model import Candidate, DataSample, Dataset, Message
from labelloop.formats import load, save
from labelloop.templates import TEMPLATES
from mcp import ClientSession


def _dataset(path):
    save(Dataset(name="d", schema=TEMPLATES.get("rewardbench")(), samples=[
        DataSample(id="s1", prompt=[Message(role="user", content="q?")],
                   candidates=[Candidate(id="0", content="a"), Candidate(id="1", content="b")])]), path)
    return path


def _cli_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    assert info.value.code == 1
    return capsys.readouterr().err.strip()


def test_provider_options_without_provider(tmp_path, capsys):
    src = str(_dataset(tmp_path / "d.jsonl"))
    assert _cli_error(capsys, "review", src, "-o", str(tmp_path / "r.json"), "--base-url", "http://x/v1") == \
        "error: --model, --base-url and --api-key-env need --provider."
    assert _cli_error(capsys, "guidelines", "-t", "rewardbench", "-o", str(tmp_path / "g.md"), "-m", "m") == \
        "error: --model, --base-url and --api-key-env need --provider."
    assert _cli_error(capsys, "mlbackend", "serve", "--model", "m") == \
        "error: --provider, --model, --base-url and --api-key-env go with --predictor llm."
    assert _cli_error(capsys, "prelabel", src, "-o", str(tmp_path / "p.jsonl"), "-p", "local", "--fit-on", "x") == \
        "error: --fit-on takes human, reference or aggregate (comma-separated), not 'x'."

    save(load(tmp_path / "d.jsonl").model_copy(update={"schema_": None}), tmp_path / "bare.jsonl")

    async def body(s: ClientSession):
        for tool, args in (("review", {"path": "d.jsonl"}), ("guidelines", {"schema": "rewardbench"})):
            assert await call_error(s, tool, model="m", **args) == \
                f"Error executing tool {tool}: model, base_url and api_key_env need provider."
        assert await call_error(s, "select_next_batch", path="bare.jsonl") == \
            "Error executing tool select_next_batch: The dataset carries no schema; name one with schema."

    run_client(server_params(tmp_path), body)
