"""Everything about Label Studio's configs and JSON, without a server (talking to one is ``annotate.labelstudio``).

``config``: label configs rendered from a schema (the templates) and read whatever project made them;
``results``: the one parser of results for every config, and values written back as results; ``tasks``: task
files in and out (the ``labelstudio`` format); ``instructions``: guidelines as the instruction box's HTML.
"""

from __future__ import annotations

from labelloop.formats.labelstudio.config import (
    ID_KEY,
    LS_TEMPLATES,
    ORDER_KEY,
    LabelConfig,
    LabelStudioTemplate,
    SchemaTemplate,
    get_template,
    read_label_config,
    register_template,
    template_for,
    template_from_config,
)
from labelloop.formats.labelstudio.instructions import guidelines_html
from labelloop.formats.labelstudio.results import Control, InferredMapping, parse_result
from labelloop.formats.labelstudio.tasks import (
    ORIGIN,
    REVIEW_KEYS,
    SAMPLE_KEY,
    LabelStudioFormat,
    prediction_to_annotation,
    read_export,
    sample_task,
    to_annotation,
)

__all__ = ["ID_KEY", "LS_TEMPLATES", "ORDER_KEY", "ORIGIN", "REVIEW_KEYS", "SAMPLE_KEY", "Control", "InferredMapping",
           "LabelConfig", "LabelStudioFormat", "LabelStudioTemplate", "SchemaTemplate", "get_template",
           "guidelines_html", "parse_result", "prediction_to_annotation", "read_export", "read_label_config",
           "register_template", "sample_task", "template_for", "template_from_config", "to_annotation"]
