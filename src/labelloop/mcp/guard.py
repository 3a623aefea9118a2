"""What only matters when a model drives labelloop: the roots every path must lie under, the secrets no
answer may carry, a user's mistake as a tool error, and progress sent as MCP notifications."""


import contextlib
import json
import math
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.from_thread
import anyio.to_thread
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel

from labelloop.errors import InputFileError, LabelloopError, OutsideRootsError, ParameterError
from labelloop.secrets import known_secrets
from labelloop.secrets import redact as redact_secrets

DEFAULT_LS_DIR = Path(".labelloop/label-studio")

M = TypeVar("M", bound=BaseModel)

if sys.version_info < (3, 11):  # pragma: no cover
    from exceptiongroup import BaseExceptionGroup
else:
    BaseExceptionGroup = BaseExceptionGroup  # noqa: PLW0127  (the builtin, named for ruff's py310 target)


# ---------------------------------------------------------------------- roots and secrets
class Guard:
    """The roots every path must lie under, and the secret values no output may carry."""

    def __init__(self, roots: list[Path] | None = None) -> None:
        self.roots = [Path(r).expanduser().resolve() for r in (roots or [Path.cwd()])]
        self._secrets: set[str] = set()

    def path(self, value: str, what: str = "path", *, exists: bool = False) -> Path:
        """``value`` resolved (relative to the first root, symlinks followed) and checked to lie under a root."""
        if value.startswith("hf:"):
            raise OutsideRootsError(f"{what} {value!r}: Hugging Face datasets are not read through the MCP server; "
                                    "convert it to a file under a root with the labelloop command first.")
        raw = Path(value).expanduser()
        real = (raw if raw.is_absolute() else self.roots[0] / raw).resolve()
        if not any(real == r or real.is_relative_to(r) for r in self.roots):
            raise OutsideRootsError(f"{what} {value} resolves to {real}, which is outside the server's roots "
                                    f"({', '.join(map(str, self.roots))}); restart the server with --root to allow it.")
        if exists and not real.exists():
            raise InputFileError(f"{what} {value} does not exist (looked for {real}).")
        return real

    def schema(self, value: str | None):
        """A template name or a schema file under the roots, read by the operations' one resolution, or None.

        A template name is taken as a name (a file of that name beside the server is not read); a file only under
        a root, so the operation receives a schema already read."""
        from labelloop.ops._common import schema_for
        from labelloop.templates import TEMPLATES

        if not value:
            return None
        if value in TEMPLATES:
            return schema_for(None, template=value)
        return schema_for(None, schema=self.path(value, "schema file", exists=True))

    def check(self, path: Path, what: str) -> Path:
        """``path``, which an operation derived itself (a rejects file, a default queue), checked to lie under the
        roots: an operation's ``check_path``."""
        return self.path(str(path), what)

    def template(self, value: str | None) -> str | None:
        """A template name as is, or a template / schema file checked to lie under the roots."""
        from labelloop.templates import TEMPLATES

        if not value or value in TEMPLATES:
            return value
        return str(self.path(value, "template file", exists=True))

    def remember(self, *values: str | None) -> None:
        self._secrets.update(v for v in values if v)  # labelloop.secrets decides what is long enough

    def secrets(self) -> list[str]:
        """The environment's secrets and those remembered, by the one rule of :mod:`labelloop.secrets`."""
        return known_secrets(self._secrets)

    def redact(self, text: str) -> str:
        return redact_secrets(text, secrets=self.secrets())

    def clean(self, result: M) -> M:
        """The result with every known secret value replaced."""
        text = result.model_dump_json()
        safe = self.redact(text)
        return result if safe == text else type(result).model_validate_json(safe)

    def ls_dir(self, data_dir: str | None) -> Path:
        """The Label Studio data dir (default ``.labelloop/label-studio`` under the first root); its secrets noted."""
        from labelloop.annotate.labelstudio import Credentials

        path = self.path(data_dir or str(DEFAULT_LS_DIR), "Label Studio data dir")
        with contextlib.suppress(LabelloopError):
            creds = Credentials.load(path)
            if creds is not None:
                self.remember(creds.token, creds.password, creds.personal_access_token)
        return path

    @contextlib.contextmanager
    def errors(self, names: dict[str, str] | None = None) -> Iterator[None]:
        """A user's mistake becomes a tool error with its one sentence (secrets removed), not a crash.

        A ParameterError names its parameter by the tool's argument: ``names`` maps an operation's parameter to
        the argument where they differ (``{"question": "questions"}``); the rest keep their name.
        """
        try:
            yield
        except LabelloopError as exc:
            raise ToolError(self.redact(_sentence(exc, names or {}))) from None
        except BaseExceptionGroup as group:  # raised inside a progress task group
            mine = _user_error(group)
            if mine is None:
                raise
            raise ToolError(self.redact(_sentence(mine, names or {}))) from None


def _sentence(exc: LabelloopError, names: dict[str, str]) -> str:
    if isinstance(exc, ParameterError):
        return exc.render(lambda p: names.get(p, p))
    return str(exc)


def _user_error(group: BaseExceptionGroup) -> LabelloopError | None:
    for exc in group.exceptions:
        if isinstance(exc, LabelloopError):
            return exc
        if isinstance(exc, BaseExceptionGroup) and (found := _user_error(exc)) is not None:
            return found
    return None


# ---------------------------------------------------------------------- progress
class Progress:
    """Library progress callbacks ``(done, total)``, from the event loop or a worker thread, sent as MCP
    progress notifications (increasing only, as the protocol asks)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.send, self.recv = anyio.create_memory_object_stream[tuple[float, float | None]](math.inf)
        self.last = -1.0

    def in_loop(self, done: float, total: float | None = None) -> None:
        self.send.send_nowait((done, total or None))

    def in_thread(self, done: float, total: float | None = None) -> None:
        anyio.from_thread.run_sync(self.send.send_nowait, (done, total or None))

    async def _pump(self) -> None:
        async with self.recv:
            async for done, total in self.recv:
                if done > self.last:
                    self.last = done
                    await self.ctx.report_progress(done, total)


@contextlib.asynccontextmanager
async def progress(ctx: Context) -> AsyncIterator[Progress]:
    prog = Progress(ctx)
    async with anyio.create_task_group() as tg:
        tg.start_soon(prog._pump)
        try:
            yield prog
        finally:
            prog.send.close()


def plain(value: Any) -> Any:
    """``value`` as JSON data: what a report carries that JSON lacks (paths, dates) becomes its string."""
    return json.loads(json.dumps(value, default=str))
