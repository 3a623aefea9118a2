"""Per-server state the tools share: the roots guard, the endpoints secrets may go to, and loading."""


import contextlib
from pathlib import Path

from labelloop.errors import LabelloopError
from labelloop.mcp.endpoints import Endpoints
from labelloop.mcp.guard import Guard


class State:
    """The guard and endpoints of one server, and the loaders and clients every tool group uses."""

    def __init__(self, g: Guard, ends: Endpoints) -> None:
        self.guard = g
        self.ends = ends

    def load(self, path: str, fmt: str = "auto"):
        from labelloop.formats import load as _load

        return _load(self.guard.path(path, "dataset", exists=True), fmt)

    def load_many(self, paths: list[str], fmt: str, schema: str | None):
        from labelloop.quality.inputs import load_inputs

        if not paths:
            raise LabelloopError("Give at least one dataset path.")
        return load_inputs([self.guard.path(p, "dataset", exists=True) for p in paths], fmt=fmt,
                           schema=self.guard.schema(schema))

    def label_studio(self, url: str | None, ddir: Path) -> tuple[str | None, str | None]:
        from labelloop.annotate.labelstudio import Credentials

        with contextlib.suppress(LabelloopError):
            creds = Credentials.load(ddir)
            return self.ends.label_studio(url, creds.url if creds is not None else None)
        return self.ends.label_studio(url, None)

