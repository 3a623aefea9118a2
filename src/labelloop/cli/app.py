"""The ``labelloop`` command: every command group, in the order ``--help`` lists them, and ``main``.

Each group module parses its flags, calls its operation in ``labelloop.ops`` and prints the result; errors a user
can cause are printed as one sentence, with a non-zero exit and no traceback (a ParameterError naming the flag).
"""

from __future__ import annotations

import sys

import typer

from labelloop.cli import annotate, assign, assist, data, decisions, labelbox, labelstudio, mlbackend, quality, report
from labelloop.cli import mcp as mcp_cmd
from labelloop.cli._common import err
from labelloop.errors import LabelloopError, ParameterError

app = typer.Typer(
    name="labelloop",
    help="Human-in-the-loop annotation of LLM data: load preference and chat data, label it, "
    "measure agreement and export training data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

app.command()(data.convert)
app.command()(data.info)
app.command()(data.validate)
app.command()(data.export)
app.command("formats")(data.list_formats)
app.command()(assist.prelabel)
app.command("assign")(assign.assign_cmd)
app.command()(annotate.create)
app.command("import-results")(annotate.import_results_cmd)
app.add_typer(labelstudio.app, name="labelstudio")
app.command("agreement")(quality.agreement_cmd)
app.command("iaa", help="Same as 'agreement'.")(quality.agreement_cmd)
app.command("merge")(quality.merge_cmd)
app.add_typer(quality.adjudicate_app, name="adjudicate")
app.command("leaderboard")(decisions.leaderboard_cmd)
app.command("evaluate")(decisions.evaluate_cmd)
app.command("review")(assist.review)
app.command("guidelines")(assist.guidelines)
app.command("select")(assist.select_cmd)
app.add_typer(mlbackend.app, name="mlbackend")
app.command("dashboard")(report.dashboard_cmd)
app.add_typer(labelbox.app, name="labelbox")
app.command("mcp")(mcp_cmd.mcp_cmd)


def flag_for(argv: list[str], param: str) -> str:
    """How the command line names the parameter ``param`` of the command ``argv`` runs: its long flag
    (``--bootstrap``), or its metavar for an argument; ``--param-name`` when no command declares it."""
    import click

    # typer >= 0.24 brings its own copy of click (typer._click), so groups and options are told by what they have,
    # not by the classes of the click this module imports
    command: click.Command = typer.main.get_command(app)
    args = list(argv)
    while hasattr(command, "commands") and args:
        word = args.pop(0)
        if word.startswith("-"):
            continue
        sub = command.commands.get(word)
        if sub is None:
            if "run" in command.commands:  # adjudicate DATASET …
                command = command.commands["run"]
            break
        command = sub
    for p in command.params:
        if p.name == param:
            if getattr(p, "param_type_name", "") == "option":
                longs = [o for o in p.opts if o.startswith("--")]
                return (longs or p.opts)[0]
            return getattr(p, "human_readable_name", None) or getattr(p, "metavar", None) or p.name.upper()
    return "--" + param.replace("_", "-")


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    try:
        rc = app(args=args, standalone_mode=False)
        if isinstance(rc, int) and rc:
            sys.exit(rc)
    except ParameterError as exc:
        err.print(f"error: {exc.render(lambda p: flag_for(args, p))}", markup=False)
        sys.exit(exc.exit_code)
    except LabelloopError as exc:
        err.print(f"error: {exc}", markup=False)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted", markup=False)
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # click's own usage errors (typer may vendor its own copy of click)
        if type(exc).__name__ == "Abort":
            sys.exit(1)
        if callable(getattr(exc, "show", None)) and isinstance(getattr(exc, "exit_code", None), int):
            exc.show()
            sys.exit(exc.exit_code)
        raise
