"""Everything about talking to a running Label Studio: the server, the REST client, push and pull."""

from labelloop.annotate.labelstudio.client import LabelStudioClient
from labelloop.annotate.labelstudio.project import (
    LabelStudioAnnotator,
    PullStats,
    PushResult,
    connect,
    create_annotator,
    export_annotations_to_dataset,
    pull_project,
    reference_as_prelabels,
)
from labelloop.annotate.labelstudio.server import Credentials, LabelStudioServer, ServerInfo, find_label_studio
from labelloop.errors import AuthError, LabelStudioError, NotFoundError

__all__ = [
    "AuthError", "Credentials", "LabelStudioAnnotator", "LabelStudioClient", "LabelStudioError", "LabelStudioServer",
    "NotFoundError", "PullStats", "PushResult", "ServerInfo", "connect", "create_annotator",
    "export_annotations_to_dataset", "find_label_studio", "pull_project", "reference_as_prelabels",
]
