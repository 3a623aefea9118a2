"""The MCP server's Label Studio tools against a real Label Studio (each installed version): status, push with
progress, a person annotates, pull; the API token and password never appear in anything the tools return."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from labelloop.data.model import Candidate, DataSample, Dataset, Message
from labelloop.formats import load, save
from labelloop.templates import TEMPLATES

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "mcp"))
from mcp_client import call, call_error, run_client, server_params  # noqa: E402


def make_dataset(path: Path, n: int = 6) -> Dataset:
    ds = Dataset(name="mcp push", schema=TEMPLATES.get("rewardbench")(), samples=[
        DataSample(id=f"m{i}", prompt=[Message(role="user", content=f"Question {i}?")],
                   candidates=[Candidate(id="0", content=f"first {i}"), Candidate(id="1", content=f"second {i}")])
        for i in range(n)])
    save(ds, path)
    return ds


def test_status_push_pull_through_mcp_without_leaking_the_token(ls, tmp_path):
    make_dataset(tmp_path / "ds.jsonl")
    secrets = [ls.creds.token, ls.creds.password] + ([ls.creds.personal_access_token]
                                                     if ls.creds.personal_access_token else [])
    env = {"LABEL_STUDIO_API_KEY": ls.creds.token}
    seen: list[str] = []
    data_dir = str(ls.data_dir)

    async def body(s):
        async def tool(name, progress=None, **args):
            out = await call(s, name, progress=progress, **args)
            seen.append(json.dumps(out))
            return out

        st = (await tool("labelstudio_status", data_dir=data_dir))["report"]
        assert (st["running"], st["health"], st["api"], st["url"]) == (True, True, "ok", ls.info.url)
        assert st["credentials_file"] == str(ls.data_dir / "credentials.json")

        progress: list = []
        pushed = await tool("labelstudio_push", progress=progress, path="ds.jsonl", template="rewardbench",
                            project_title="from mcp", data_dir=data_dir, batch_size=4)
        assert (pushed["tasks"], pushed["predictions"], pushed["template"], pushed["url"]) == (
            6, 0, "rewardbench", ls.info.url.rstrip("/"))
        assert progress and progress[-1][0] == 6

        pid = pushed["project_id"]
        with ls.client() as c:
            tasks = list(c.iter_tasks(pid))
            first = {t["data"]["labelloop_id"]: t["data"]["labelloop_order"][0] for t in tasks}
            for t in tasks:  # the person always picks the answer shown first
                c.create_annotation(t["id"], [{"from_name": "preference", "to_name": "prompt", "type": "choices",
                                               "value": {"choices": ["Answer A"]}}], lead_time=3.0)
        pulled = await tool("labelstudio_pull", project=pid, output="pulled.jsonl", data_dir=data_dir)
        rep = pulled["report"]
        assert (rep["tasks"], rep["annotations"], rep["new"], rep["updated"], rep["skipped"]) == (6, 6, 6, 0, 0)
        ds = load(tmp_path / "pulled.jsonl")
        assert {smp.id: smp.annotations_of("human")[0].values["preference"] for smp in ds.samples} == first
        again = await tool("labelstudio_pull", project=pid, output="pulled.jsonl", data_dir=data_dir)
        assert (again["report"]["new"], again["report"]["unchanged"]) == (0, 6)

        err = await call_error(s, "labelstudio_pull", project=999999, data_dir=data_dir)
        seen.append(err)
        assert "999999" in err
        err = await call_error(s, "labelstudio_status", data_dir="/etc")
        assert "outside the server's roots" in err

    run_client(server_params(tmp_path, ls.data_dir, env=env), body, timeout=240)
    assert len(seen) == 5
    for text in seen:
        for secret in secrets:
            assert secret not in text
