"""Per-server state the tools share: the roots guard, the endpoints secrets may go to, and the Label Studio they
name (datasets are read by the operations, ``labelloop.ops``)."""


import contextlib
from pathlib import Path

from labelloop.errors import LabelloopError
from labelloop.mcp.endpoints import Endpoints
from labelloop.mcp.guard import Guard


class State:
    """The guard and endpoints of one server, and the Label Studio every tool group that talks to one uses."""

    def __init__(self, g: Guard, ends: Endpoints) -> None:
        self.guard = g
        self.ends = ends

    def label_studio(self, url: str | None, ddir: Path) -> tuple[str | None, str | None]:
        from labelloop.annotate.labelstudio import Credentials

        with contextlib.suppress(LabelloopError):
            creds = Credentials.load(ddir)
            return self.ends.label_studio(url, creds.url if creds is not None else None)
        return self.ends.label_studio(url, None)

