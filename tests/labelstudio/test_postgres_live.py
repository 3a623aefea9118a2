"""Label Studio on PostgreSQL, for real (Debian's postgresql package): ``start --postgres`` runs a cluster of the
data dir's own, Label Studio keeps its projects there (not in SQLite), ``stop`` stops both, and the next ``start``
reopens the same database; ``start --database URL`` uses a PostgreSQL the user runs (here one the test session
starts). Refusals that keep projects from vanishing are checked without a server.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from labelloop.annotate.labelstudio import LabelStudioServer
from labelloop.annotate.labelstudio.postgres import LocalPostgres, find_bindir
from labelloop.cli import main
from labelloop.data.io import write_dataset
from labelloop.data.model import Candidate, DataSample, Dataset, Message
from labelloop.errors import ParameterError


def _dataset(n: int = 5) -> Dataset:
    return Dataset(name="pg", samples=[
        DataSample(id=f"s{j}", prompt=[Message(role="user", content=f"Question {j}")],
                   candidates=[Candidate(id="a", content=f"yes {j}"), Candidate(id="b", content=f"no {j}")])
        for j in range(n)])


def _sql(pg: LocalPostgres, query: str, database: str = "labelstudio") -> str:
    info = pg.info()
    assert info is not None
    cmd = [str(find_bindir() / "psql"), "-h", "127.0.0.1", "-p", str(info["port"]), "-U", info["role"], "-d",
           database, "-tAc", query]
    env = {**os.environ, "PGPASSWORD": info["password"]}
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def _cli(args: list, capsys, quiet: bool = True) -> dict:
    main([*map(str, args), "--json", *(["-q"] if quiet else [])])
    return json.loads(capsys.readouterr().out)


@pytest.fixture(scope="session")
def session_postgres(tmp_path_factory):
    """A PostgreSQL server the test session runs, standing for one a team runs beside Label Studio."""
    d = tmp_path_factory.mktemp("pg-server")
    pg = LocalPostgres(d)
    url = pg.start()
    try:
        yield pg, url
    finally:
        pg.stop()


def test_start_postgres_keeps_projects_in_the_data_dirs_own_postgresql(ls_bin, tmp_path, capsys):
    data_dir = tmp_path / "ls"
    src = tmp_path / "pg.jsonl"
    write_dataset(_dataset(), src, "jsonl")
    pg = LocalPostgres(data_dir)
    try:  # stopped whatever fails, the start included: a test leaves no server behind
        started = _cli(["labelstudio", "start", "--postgres", "--port", 0, "--data-dir", data_dir,
                        "--label-studio-bin", ls_bin, "--timeout", 600], capsys)
        assert started["database"] == "postgresql-local"
        pushed = _cli(["labelstudio", "push", src, "--template", "rewardbench", "--data-dir", data_dir], capsys)
        assert pushed["tasks"] == 5
        assert _sql(pg, "SELECT count(*) FROM task") == "5"
        assert _sql(pg, "SELECT title FROM project") == "labelloop pg"
        assert not (data_dir / "label_studio.sqlite3").exists()
        status = _cli(["labelstudio", "status", "--data-dir", data_dir], capsys, quiet=False)
        assert (status["running"], status["database"]) == (True, "postgresql-local")
    finally:
        main(["labelstudio", "stop", "--data-dir", str(data_dir)])
    assert capsys.readouterr().out == f"Stopped Label Studio and its PostgreSQL; their data stays in {data_dir}.\n"
    assert not pg.running()
    # started again without the flag: the data dir keeps its PostgreSQL, and the project is there
    try:
        again = _cli(["labelstudio", "start", "--port", 0, "--data-dir", data_dir, "--label-studio-bin", ls_bin,
                      "--timeout", 600], capsys)
        assert again["database"] == "postgresql-local"
        out = tmp_path / "pulled.jsonl"
        pulled = _cli(["labelstudio", "pull", "--project", pushed["project_id"], "-o", out, "--data-dir", data_dir], capsys)
        assert pulled["tasks"] == 5  # the project, from the same PostgreSQL database
    finally:
        main(["labelstudio", "stop", "--data-dir", str(data_dir)])
    assert not pg.running()


def test_start_database_uses_a_postgresql_the_user_runs(newest_ls_bin, session_postgres, tmp_path, capsys):
    ls_bin = newest_ls_bin  # one version is enough: --database gives Label Studio the same settings as --postgres
    pg, url = session_postgres
    data_dir = tmp_path / "ls"
    try:
        started = _cli(["labelstudio", "start", "--database", url, "--port", 0, "--data-dir", data_dir,
                        "--label-studio-bin", ls_bin, "--timeout", 600], capsys)
        assert started["database"] == "postgresql"
        assert int(_sql(pg, "SELECT count(*) FROM htx_user")) >= 1  # Label Studio's admin, in our server
        assert not (data_dir / "postgres").exists() and not (data_dir / "label_studio.sqlite3").exists()
    finally:
        main(["labelstudio", "stop", "--data-dir", str(data_dir)])
    assert pg.running()  # a server the user runs is theirs to stop


def test_a_sqlite_data_dir_is_not_switched_to_an_empty_postgresql(tmp_path):
    d = tmp_path / "ls"
    d.mkdir()
    (d / "label_studio.sqlite3").write_bytes(b"")
    with pytest.raises(ParameterError) as err:
        LabelStudioServer(d, postgres=True, port=0).start()
    assert err.value.render(lambda p: "--" + p.replace("_", "-")) == (
        f"The Label Studio data dir {d} keeps its projects in SQLite; started with --postgres it would open on an "
        "empty PostgreSQL database and show none of them: use a new --data-dir for PostgreSQL.")
    with pytest.raises(ParameterError) as err:
        LabelStudioServer(tmp_path / "x", postgres=True, database="postgresql://a@b/c", port=0).start()
    assert err.value.render(lambda p: "--" + p.replace("_", "-")) == ("Give --postgres (a PostgreSQL of the data dir's own) or --database (a server you "
                                  "run), not both.")
    assert not (d / "postgres").exists()
