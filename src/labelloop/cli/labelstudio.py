"""labelstudio start | demo | stop | status | push | pull | webhook add | user add."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import typer

from labelloop.cli._common import (
    FormatOpt,
    GuidelinesOpt,
    JsonOpt,
    LsBinOpt,
    LsDataDirOpt,
    LsTokenOpt,
    LsUrlOpt,
    QuietOpt,
    notes,
    out,
    progress_phases,
)
from labelloop.errors import ParameterError
from labelloop.ops import labelstudio as ops

# ---- label studio (issue 5: start it, push tasks with pre-labels, pull every annotator's work) -------
app = typer.Typer(help="Run a local Label Studio, push datasets to it and pull every annotator's work "
                              "back.", no_args_is_help=True)
ls_webhook_app = typer.Typer(help="Label Studio webhooks.", no_args_is_help=True)
app.add_typer(ls_webhook_app, name="webhook")
ls_user_app = typer.Typer(help="Label Studio annotator accounts.", no_args_is_help=True)
app.add_typer(ls_user_app, name="user")

def _ls_print_start(started: ops.Started, show_password: bool, data_dir: Path) -> None:
    from labelloop.annotate.labelstudio import Credentials

    info, push_result = started.info, started.project
    db = {"postgresql": ", PostgreSQL", "postgresql-local": ", its own PostgreSQL"}.get(info.database or "", "")
    state = "already running" if info.already_running else f"started ({info.mode}, version {info.version or '?'}{db})"
    if info.port_note:
        out.print(info.port_note, markup=False)
    out.print(f"Label Studio {state} at {info.url}", markup=False)
    if push_result is not None:
        for p in push_result.projects:
            out.print(f"Project {p['project_id']}: {p['project_url']} ({p['tasks']} tasks with {p['positions']} "
                      f"answers, {p['predictions']} pre-labels, template {push_result.template})", markup=False)
    creds = Credentials.load(data_dir)
    login = f"Log in as {info.email}"
    if show_password and creds is not None:
        login += f" with password {creds.password}"
    out.print(f"{login}; the password and API token are in {info.credentials_file} (readable only by you).",
              markup=False)
    flag = "" if Path(data_dir) == Path(".labelloop/label-studio") else f" --data-dir {data_dir}"  # the default
    out.print(f"Stop it with: labelloop labelstudio stop{flag}", markup=False)


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
    postgres: bool = typer.Option(False, "--postgres", help="Run the data dir's own PostgreSQL (Debian's "
                                  "postgresql package; stopped with the server) instead of SQLite; later starts "
                                  "keep using it."),
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
    quiet = quiet or as_json
    with progress_phases(quiet, "Reading", "Pushing") as (reading, report):
        started = ops.start(data_dir=data_dir, port=port, host=host, bind=bind, docker=docker, image=image,
                            database=database, username=username, password=password,
                            label_studio_bin=label_studio_bin, timeout=timeout, push=push, template=template,
                            reference_prelabels=prelabels_from_reference, guidelines=guidelines,
                            allow_loopback_hooks=allow_loopback_hooks, postgres=postgres, note=notes(quiet),
                            reading=reading, progress=report)
    if as_json:
        out.print_json(json.dumps(started.as_dict()))
        return
    _ls_print_start(started, show_password, data_dir)


@app.command("demo")
def ls_demo(
    dataset: str = typer.Argument(ops.DEMO_DATASET, help="Dataset to push (default: the bundled RewardBench 2 "
                                  "example)."),
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
    with progress_phases(quiet or as_json, "Reading", "Pushing") as (reading, report):
        started = ops.demo(dataset, template=template, port=port, data_dir=data_dir, docker=docker,
                           label_studio_bin=label_studio_bin, note=notes(quiet or as_json), reading=reading,
                           progress=report)
    if as_json:
        out.print_json(json.dumps(started.as_dict()))
        return
    _ls_print_start(started, show_password, data_dir)


@app.command("stop")
def ls_stop(data_dir: Path = LsDataDirOpt, quiet: bool = QuietOpt) -> None:
    """Stop the Label Studio started from --data-dir (its own process group only); the data stays."""
    from labelloop.annotate.labelstudio.server import data_dirs_hint

    stopped = ops.stop(data_dir)
    their = "their data stays" if stopped and "and" in stopped else "its data stays"
    out.print(f"Stopped {stopped}; {their} in {data_dir}." if stopped
              else f"No Label Studio started from {data_dir} is running. {data_dirs_hint(data_dir)}", markup=False)


@app.command("status")
def ls_status(data_dir: Path = LsDataDirOpt, as_json: bool = JsonOpt) -> None:
    """URL, version, PIDs, data dir, credentials file and whether the API answers."""
    st = ops.status(data_dir)
    if as_json:
        out.print_json(json.dumps(st))
        return
    if not st.get("url"):
        from labelloop.annotate.labelstudio.server import data_dirs_hint

        out.print(f"No Label Studio started from {data_dir}." + (
            f" Credentials: {st['credentials_file']}." if st.get("credentials_file") else "")
            + f" {data_dirs_hint(data_dir)}", markup=False)
        return
    rows = [("running", "yes" if st["running"] else "no"), ("url", st.get("url")), ("version", st.get("version")),
            ("mode", st.get("mode")), ("database", st.get("database")), ("pid", st.get("pid")),
            ("container", st.get("container")),
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
    plan: Path | None = typer.Option(None, "--plan", help="A plan from labelloop assign: one project per person "
                                     "with only their tasks (gold mixed in), accounts made as needed."),
    fmt: str = FormatOpt,
    as_json: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Create a project and import the samples as tasks, with prediction annotations as pre-labels."""
    quiet = quiet or as_json
    if plan is not None:
        clashes = ((project, "project"), (only, "only"), (ids, "ids"),
                   (reference_prelabels or None, "reference_prelabels"), (overlap != 1 or None, "overlap"))
        for given, name in clashes:
            if given is not None:
                why = " (it would show the gold answers)" if name == "reference_prelabels" else ""
                raise ParameterError("plan", "{param} decides who gets which task; leave out {other}" + why + ".",
                                     other=name)
        with progress_phases(quiet, "Reading", "Pushing") as (reading, report):
            pushed = ops.push_plan(dataset, plan, template=template, project_title=project_title, url=url,
                                   token=token, data_dir=data_dir, batch_size=batch_size, seed=seed, shuffle=shuffle,
                                   guidelines=guidelines, fmt=fmt, note=notes(quiet), reading=reading,
                                   progress=report)
        if as_json:
            out.print_json(json.dumps(pushed.model_dump()))
            return
        for name, who in pushed.annotators.items():
            account = "account made" if who["account_created"] else "account there already"
            where = ", ".join(f"project {p['project_id']} ({p['tasks']} tasks)" for p in who["projects"]) or "no tasks"
            out.print(f"{name} ({who['email']}, {account}): {where}, {who['gold']} gold", markup=False)
        if pushed.accounts_file:
            out.print(f"Passwords of the accounts made: {pushed.accounts_file} (readable only by you).", markup=False)
        out.print(f"Pull them back as one dataset with: labelloop labelstudio pull --plan {plan}", markup=False)
        return
    with progress_phases(quiet, "Reading", "Pushing") as (reading, report):
        res = ops.push(dataset, template=template, project_title=project_title,
                       project_description=project_description, project=project, url=url, token=token,
                       data_dir=data_dir, batch_size=batch_size, seed=seed, shuffle=shuffle, overlap=overlap,
                       reference_prelabels=reference_prelabels, guidelines=guidelines, only=only, ids=ids, fmt=fmt,
                       note=notes(quiet), reading=reading, progress=report)
    if as_json:
        out.print_json(json.dumps(res.model_dump()))
    else:
        for p in res.projects:
            skipped = f"; {p['skipped']} already there, skipped" if p["skipped"] else ""
            out.print(f"Pushed {p['tasks']} tasks with {p['positions']} answers ({p['predictions']} pre-labels, "
                      f"template {res.template}{skipped}) to project {p['project_id']}: {p['project_url']}",
                      markup=False)


@app.command("pull")
def ls_pull(
    project: int | None = typer.Option(None, "--project", help="Project id (or --plan)."),
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
    strict: bool = typer.Option(False, "--strict", help="An answer that fits no question or option (an answer "
                                "the task does not have, a renamed option) is an error and nothing is written."),
    plan: Path | None = typer.Option(None, "--plan", help="Pull every project push --plan made for this plan "
                                     "into one dataset (default output labelstudio-plan.jsonl); answers on gold "
                                     "samples are marked as checks."),
    as_json: bool = JsonOpt,
    quiet: bool = QuietOpt,
) -> None:
    """Every annotation of every annotator, as human annotations in candidate ids, next to the originals.

    Answers that fit no question, required answers missing and accepted predictions are listed by task."""
    if (project is None) == (plan is None):
        raise ParameterError("project", "Give {param} (one project) or {plan} (the projects push --plan made), one "
                                        "of them.", plan="plan")
    if plan is not None:
        with progress_phases(quiet or as_json, "Pulling") as (report,):
            got = ops.pull_plan(plan, output=output, dataset=dataset, template=template, url=url, token=token,
                                data_dir=data_dir, pages=pages, strict=strict, progress=report)
        if as_json:
            out.print_json(json.dumps(got.model_dump()))
            return
        st = got.stats
        for name, who in got.annotators.items():
            out.print(f"{name}: {who['annotations']} annotation(s) from project(s) "
                      f"{', '.join(map(str, who['projects']))}", markup=False)
        out.print(f"Pulled {st.get('annotations', 0)} annotation(s) from {st.get('tasks', 0)} task(s): "
                  f"{st.get('new', 0)} new, {st.get('updated', 0)} changed, {st.get('unchanged', 0)} already here; "
                  f"{got.gold_checks} answer(s) on gold samples marked as checks. Wrote {got.output}.", markup=False)
        if got.by_others:
            out.print(f"{got.by_others} annotation(s) were made in a person's project by someone else (Community "
                      "Edition lets anyone open any project); they are kept under who made them.", markup=False)
        for line in _pull_problems({**{"accepted_predictions": 0, "unmapped": {}, "unmapped_tasks": [],
                                       "missing_required": {}, "missing_tasks": [], "notes": []}, **st}):
            out.print(line, markup=False)
        return
    with progress_phases(quiet or as_json, "Pulling") as (report,):
        res = ops.pull(project, output=output, dataset=dataset, template=template, url=url, token=token,
                       data_dir=data_dir, pages=pages, strict=strict, progress=report)
    if as_json:
        out.print_json(json.dumps({"output": res.output, **res.stats}))
        return
    st = res.stats
    out.print(f"Pulled {st['annotations']} annotation(s) from {st['tasks']} task(s) of project {project}: "
              f"{st['new']} new, {st['updated']} changed, {st['unchanged']} already here, {st['skipped']} skipped "
              f"by the annotator; annotators: {', '.join(st['annotators']) or 'none'}. Wrote {res.output}.",
              markup=False)
    for line in _pull_problems(st):
        out.print(line, markup=False)


def _counts(by_question: dict[str, int]) -> str:
    return ", ".join(f"{q} {n}" for q, n in by_question.items())


def _by_task(tasks: list[dict], detail: Callable[[dict], str], shown: int) -> list[str]:
    """A line per task (at most ``shown``, then how many more): task, sample, annotator, ``detail``."""
    lines = [f"  task {t['task_id']} (sample {t['sample_id']}, {t['annotator']}): {detail(t)}" for t in tasks[:shown]]
    if len(tasks) > shown:
        lines.append(f"  … and {len(tasks) - shown} more task(s) (see --json).")
    return lines


def _pull_problems(st: dict, shown: int = 20) -> list[str]:
    """The pull's problems and notes, a line each, then the tasks they are in (at most ``shown`` a kind)."""
    lines = []
    if st["accepted_predictions"]:
        lines.append(f"{st['accepted_predictions']} annotation(s) are a model's prediction accepted unchanged "
                     "(marked accepted_prediction).")
    if st["unmapped"]:
        lines.append(f"{sum(st['unmapped'].values())} answer(s) fit no question or option, kept in "
                     f"metadata.labelstudio.unmapped_results ({_counts(st['unmapped'])}):")
        lines += _by_task(st["unmapped_tasks"], lambda t: "; ".join(t["values"]), shown)
    if st["missing_required"]:
        lines.append(f"{sum(st['missing_required'].values())} required answer(s) missing "
                     f"({_counts(st['missing_required'])}):")
        lines += _by_task(st["missing_tasks"], lambda t: ", ".join(t["questions"]), shown)
    lines += [f"Note: {n}" for n in st["notes"]]
    return lines


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
    hook, actions = ops.webhook_add(project, hook_url, events, server_url=server, token=token, data_dir=data_dir)
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
    user = ops.user_add(email, password, server_url=server, token=token, data_dir=data_dir)
    if as_json:
        out.print_json(json.dumps(user))
    else:
        out.print(f"Created {user['email']} (user {user['id']}) with password {user['password']}; API token "
                  f"{user['token']}.", markup=False)
