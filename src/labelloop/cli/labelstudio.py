"""labelstudio start | demo | stop | status | push | pull | webhook add | user add."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from labelloop.cli._common import (
    DEMO_DATASET,
    FormatOpt,
    GuidelinesOpt,
    JsonOpt,
    LsBinOpt,
    LsDataDirOpt,
    LsTokenOpt,
    LsUrlOpt,
    QuietOpt,
    load,
    note,
    out,
    progress_callback,
    read_guidelines,
)

# ---- label studio (issue 5: start it, push tasks with pre-labels, pull every annotator's work) -------
app = typer.Typer(help="Run a local Label Studio, push datasets to it and pull every annotator's work "
                              "back.", no_args_is_help=True)
ls_webhook_app = typer.Typer(help="Label Studio webhooks.", no_args_is_help=True)
app.add_typer(ls_webhook_app, name="webhook")
ls_user_app = typer.Typer(help="Label Studio annotator accounts.", no_args_is_help=True)
app.add_typer(ls_user_app, name="user")

def _ls_push(ds, *, template: str | None, title: str | None, description: str, project: int | None, url: str | None,
             token: str | None, data_dir: Path, batch_size: int, seed: int, shuffle: bool, overlap: int,
             quiet: bool, guidelines: Path | None = None):
    from labelloop.annotate.labelstudio import create_annotator

    progress, ctx = progress_callback(quiet, "Pushing")
    annotator = create_annotator(server_url=url, api_token=token, project_title=title, template_name=template,
                                 project_description=description, data_dir=data_dir, batch_size=batch_size,
                                 seed=seed, shuffle=shuffle, overlap=overlap, progress=progress,
                                 guidelines=read_guidelines(guidelines))
    with ctx:
        return annotator.run(ds, create_new_project=project is None, project_id=project)


def _ls_print_start(info, push_result, show_password: bool, data_dir: Path) -> None:
    from labelloop.annotate.labelstudio import Credentials

    state = "already running" if info.already_running else f"started ({info.mode}, version {info.version or '?'})"
    if info.port_note:
        out.print(info.port_note, markup=False)
    out.print(f"Label Studio {state} at {info.url}", markup=False)
    if push_result is not None:
        out.print(f"Project {push_result.project_id}: {push_result.project_url} ({push_result.tasks} tasks, "
                  f"{push_result.predictions} pre-labels, template {push_result.template})", markup=False)
    creds = Credentials.load(data_dir)
    login = f"Log in as {info.email}"
    if show_password and creds is not None:
        login += f" with password {creds.password}"
    out.print(f"{login}; the password and API token are in {info.credentials_file} (readable only by you).",
              markup=False)
    out.print(f"Stop it with: labelloop labelstudio stop --data-dir {data_dir}", markup=False)


def _ls_server(data_dir: Path, quiet: bool = False, **kw: Any):
    from labelloop.annotate.labelstudio import LabelStudioServer

    return LabelStudioServer(data_dir, log=lambda m: note(m, quiet), **kw)


@app.command("start")
def ls_start(
    port: int | None = typer.Option(None, "--port", help="Port (default 8080, or the next free one; 0 = any free)."),
    host: str | None = typer.Option(None, "--host", help="Public URL people open, e.g. https://ls.example.org "
                                    "(default http://127.0.0.1:PORT)."),
    bind: str = typer.Option("127.0.0.1", "--bind", help="Interface to listen on; 0.0.0.0 exposes it to the network."),
    data_dir: Path = LsDataDirOpt,
    docker: bool = typer.Option(False, "--docker", help="Run the Label Studio Docker image (named volume) instead."),
    image: str = typer.Option("heartexlabs/label-studio:latest", "--image", help="Docker image for --docker."),
    database: str | None = typer.Option(None, "--database", help="postgresql://user:password@host:port/name "
                                        "instead of SQLite."),
    username: str | None = typer.Option(None, "--username", help="Admin email (default admin@example.com)."),
    password: str | None = typer.Option(None, "--password", help="Admin password (default: generated)."),
    label_studio_bin: str | None = LsBinOpt,
    timeout: float = typer.Option(240.0, "--timeout", help="Seconds to wait for Label Studio to answer."),
    push: str | None = typer.Option(None, "--push", help="Also push this dataset as a new project."),
    template: str | None = typer.Option(None, "--template", "-t", help="Template for --push."),
    prelabels_from_reference: bool = typer.Option(False, "--reference-prelabels", help="With --push: show the "
                                                  "source's reference labels as pre-labels (model version "
                                                  "reference-as-prelabel)."),
    guidelines: Path | None = GuidelinesOpt,
    show_password: bool = typer.Option(False, "--show-password", help="Print the admin password too."),
    allow_loopback_hooks: bool | None = typer.Option(None, "--allow-loopback-hooks/--no-allow-loopback-hooks",
                                                     help="Let webhooks and ML backends be on 127.0.0.1 (default: "
                                                     "yes when bound to 127.0.0.1)."),
    as_json: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Start Label Studio bound to 127.0.0.1 with an admin account and a working API token."""
    from labelloop.annotate.labelstudio import reference_as_prelabels

    server = _ls_server(data_dir, port=port, host=host, bind=bind, docker=docker, image=image, database=database,
                        username=username, password=password, label_studio_bin=label_studio_bin, timeout=timeout,
                        allow_loopback_hooks=allow_loopback_hooks, quiet=quiet or as_json)
    ds = None
    if push:
        ds, _ = load(push, quiet=quiet or as_json)
        if prelabels_from_reference:
            ds = reference_as_prelabels(ds)
    info = server.start()
    result = None
    if ds is not None:
        result = _ls_push(ds, template=template, title=None, description="", project=None, url=info.url, token=None,
                          data_dir=data_dir, batch_size=500, seed=0, shuffle=True, overlap=1, quiet=quiet or as_json,
                          guidelines=guidelines)
    if as_json:
        out.print_json(json.dumps({**info.as_dict(), "project": result.as_dict() if result else None}))
        return
    _ls_print_start(info, result, show_password, data_dir)


@app.command("demo")
def ls_demo(
    dataset: str = typer.Argument(DEMO_DATASET, help="Dataset to push (default: the bundled RewardBench 2 example)."),
    template: str = typer.Option("rewardbench2", "--template", "-t", help="Template of the project."),
    port: int | None = typer.Option(None, "--port", help="Port (default 8080, or the next free one)."),
    data_dir: Path = LsDataDirOpt,
    docker: bool = typer.Option(False, "--docker", help="Run the Label Studio Docker image instead."),
    label_studio_bin: str | None = LsBinOpt,
    show_password: bool = typer.Option(False, "--show-password", help="Print the admin password too."),
    as_json: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Start Label Studio with the example pushed as a ready project, pre-labelled from its reference labels."""
    ls_start(port=port, host=None, bind="127.0.0.1", data_dir=data_dir, docker=docker,
             image="heartexlabs/label-studio:latest", database=None, username=None, password=None,
             label_studio_bin=label_studio_bin, timeout=240.0, push=dataset, template=template,
             prelabels_from_reference=True, guidelines=None, show_password=show_password, allow_loopback_hooks=None,
             as_json=as_json, quiet=quiet)


@app.command("stop")
def ls_stop(data_dir: Path = LsDataDirOpt, quiet: bool = QuietOpt) -> None:
    """Stop the Label Studio started from --data-dir (its own process group only); the data stays."""
    stopped = _ls_server(data_dir).stop()
    out.print(f"Stopped Label Studio; its data stays in {data_dir}." if stopped
              else f"No Label Studio started from {data_dir} is running.", markup=False)


@app.command("status")
def ls_status(data_dir: Path = LsDataDirOpt, as_json: bool = JsonOpt) -> None:
    """URL, version, PIDs, data dir, credentials file and whether the API answers."""
    st = _ls_server(data_dir).status()
    if as_json:
        out.print_json(json.dumps(st))
        return
    if not st.get("url"):
        out.print(f"No Label Studio started from {data_dir}." + (
            f" Credentials: {st['credentials_file']}." if st.get("credentials_file") else ""), markup=False)
        return
    rows = [("running", "yes" if st["running"] else "no"), ("url", st.get("url")), ("version", st.get("version")),
            ("mode", st.get("mode")), ("pid", st.get("pid")), ("container", st.get("container")),
            ("api", st.get("api")), ("data dir", st["data_dir"]), ("credentials", st.get("credentials_file")),
            ("log", st.get("log_file")), ("started", st.get("started_at"))]
    for k, v in rows:
        if v is not None:
            out.print(f"{k:12} {v}", markup=False)


@app.command("push")
def ls_push(
    dataset: str = typer.Argument(..., help="Dataset file, directory or hf:NAME."),
    template: str | None = typer.Option(None, "--template", "-t", help="Template or schema file (default: the "
                                        "dataset's schema)."),
    project_title: str | None = typer.Option(None, "--project-title", help="Title (default: the dataset's name)."),
    project_description: str = typer.Option("", "--project-description", help="Project description."),
    project: int | None = typer.Option(None, "--project", help="Add to this existing project instead."),
    url: str | None = LsUrlOpt,
    token: str | None = LsTokenOpt,
    data_dir: Path = LsDataDirOpt,
    batch_size: int = typer.Option(500, "--batch-size", min=1, help="Tasks per import request."),
    seed: int = typer.Option(0, "--seed", help="Seed of the per-task answer order."),
    shuffle: bool = typer.Option(True, "--shuffle/--no-shuffle", help="Show answers in a seeded random order."),
    overlap: int = typer.Option(1, "--overlap", min=1, help="Annotators per task Label Studio hands out."),
    reference_prelabels: bool = typer.Option(False, "--reference-prelabels", help="Show reference labels as "
                                             "pre-labels (model version reference-as-prelabel)."),
    guidelines: Path | None = GuidelinesOpt,
    only: Path | None = typer.Option(None, "--only", help="Push only the samples this selection file names "
                                     "(from labelloop select: JSONL, JSON or one id a line), in its order."),
    ids: str | None = typer.Option(None, "--ids", help="Push only these sample ids (comma-separated)."),
    fmt: str = FormatOpt,
    as_json: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Create a project and import the samples as tasks, with prediction annotations as pre-labels."""
    from labelloop.annotate.labelstudio import reference_as_prelabels

    ds, _ = load(dataset, fmt, quiet=quiet or as_json)
    if only is not None or ids is not None:
        from labelloop.annotate.labelstudio.project import only_samples
        from labelloop.assist.active import selection_ids

        wanted = (selection_ids(only) if only is not None else []) + [i.strip() for i in (ids or "").split(",")
                                                                       if i.strip()]
        ds = only_samples(ds, wanted, source=str(only) if only is not None else "--ids")
    if reference_prelabels:
        ds = reference_as_prelabels(ds)
    res = _ls_push(ds, template=template, title=project_title, description=project_description, project=project,
                   url=url, token=token, data_dir=data_dir, batch_size=batch_size, seed=seed, shuffle=shuffle,
                   overlap=overlap, quiet=quiet or as_json, guidelines=guidelines)
    if as_json:
        out.print_json(json.dumps(res.as_dict()))
    else:
        out.print(f"Pushed {res.tasks} tasks ({res.predictions} pre-labels, template {res.template}) to project "
                  f"{res.project_id}: {res.project_url}", markup=False)


@app.command("pull")
def ls_pull(
    project: int = typer.Option(..., "--project", help="Project id."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Output dataset (default: "
                                       "labelstudio-project-ID.jsonl); pulled into again, it gains only what is "
                                       "new or changed."),
    dataset: str | None = typer.Option(None, "--dataset", help="Dataset to add the annotations to (default: the "
                                       "output if it exists, else the copy kept at push time)."),
    template: str | None = typer.Option(None, "--template", "-t", help="Template, for projects labelloop did not "
                                        "make."),
    url: str | None = LsUrlOpt,
    token: str | None = LsTokenOpt,
    data_dir: Path = LsDataDirOpt,
    pages: bool = typer.Option(False, "--pages", help="Read tasks a page at a time instead of one JSON export "
                               "(for projects too large to export at once)."),
    as_json: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Every annotation of every annotator, as human annotations in candidate ids, next to the originals."""
    from labelloop.annotate.labelstudio import pull_project
    from labelloop.formats import save

    output = output or Path(f"labelstudio-project-{project}.jsonl")
    base = None
    if dataset:
        base, _ = load(dataset, quiet=True)
    elif output.exists():
        base, _ = load(str(output), quiet=True)
    progress, ctx = progress_callback(quiet or as_json, "Pulling")
    with ctx:
        ds, stats = pull_project(project, url, token, dataset=base, data_dir=data_dir, template=template,
                                 progress=progress, method="pages" if pages else "export")
    save(ds, output)
    if as_json:
        out.print_json(json.dumps({"output": str(output), **stats.as_dict()}))
        return
    out.print(f"Pulled {stats.annotations} annotation(s) from {stats.tasks} task(s) of project {project}: "
              f"{stats.new} new, {stats.updated} changed, {stats.unchanged} already here, {stats.skipped} skipped "
              f"by the annotator; annotators: {', '.join(stats.annotators) or 'none'}. Wrote {output}.", markup=False)


@ls_webhook_app.command("add")
def ls_webhook_add(
    project: int = typer.Option(..., "--project", help="Project id."),
    hook_url: str = typer.Option(..., "--url", help="URL Label Studio calls."),
    events: list[str] = typer.Option([], "--events", help="Events, e.g. ANNOTATION_CREATED ANNOTATION_UPDATED "
                                     "(repeat or comma-separate; default: all)."),
    server: str | None = typer.Option(None, "--server", help="Label Studio URL (default as for push)."),
    token: str | None = LsTokenOpt,
    data_dir: Path = LsDataDirOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Ask Label Studio to call a URL when annotations or tasks change."""
    from labelloop.annotate.labelstudio import connect

    actions = [e.strip().upper() for x in events for e in x.split(",") if e.strip()]
    with connect(server, token, data_dir) as client:
        client.get_project(project)
        hook = client.create_webhook(project, hook_url, actions)
    if as_json:
        out.print_json(json.dumps(hook))
    else:
        out.print(f"Webhook {hook.get('id')} on project {project} calls {hook_url} for "
                  f"{', '.join(actions) or 'every event'}.", markup=False)


@ls_user_app.command("add")
def ls_user_add(
    email: str = typer.Argument(..., help="The annotator's email (their login)."),
    password: str | None = typer.Option(None, "--password", help="Password (default: generated and printed)."),
    server: str | None = typer.Option(None, "--server", help="Label Studio URL (default as for push)."),
    token: str | None = LsTokenOpt,
    data_dir: Path = LsDataDirOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Create an annotator account through the organisation's invite link."""
    import secrets

    from labelloop.annotate.labelstudio import connect
    from labelloop.annotate.labelstudio.session import add_user

    password = password or secrets.token_urlsafe(12)
    with connect(server, token, data_dir) as client:
        user = add_user(client, email, password)
    if as_json:
        out.print_json(json.dumps({**user, "password": password}))
    else:
        out.print(f"Created {user['email']} (user {user['id']}) with password {password}; API token "
                  f"{user['token']}.", markup=False)


