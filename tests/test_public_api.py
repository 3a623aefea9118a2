"""The public surface of ``labelloop``: what ``from labelloop import *`` gives, pinned.

A name added to or removed from ``labelloop.__all__`` is a change to the public API; make it on
purpose, here too.
"""

import labelloop

PUBLIC = [
    "Annotation",
    "AnnotationSchema",
    "Candidate",
    "DataSample",
    "Dataset",
    "FORMATS",
    "FieldSpec",
    "LabelloopError",
    "Message",
    "Option",
    "Question",
    "RubricLevel",
    "SampleReader",
    "TEMPLATES",
    "__version__",
    "agreement",
    "build_annotator",
    "content_id",
    "create_annotator",
    "create_exporter",
    "create_loader",
    "load",
    "load_schema",
    "merge",
    "save",
]


def test_all_is_pinned():
    assert sorted(labelloop.__all__) == PUBLIC


def test_all_has_no_duplicates():
    assert len(set(labelloop.__all__)) == len(labelloop.__all__)


def test_every_public_name_is_an_attribute():
    missing = [name for name in labelloop.__all__ if not hasattr(labelloop, name)]
    assert missing == []


def test_version_is_a_string():
    assert isinstance(labelloop.__version__, str)
    assert labelloop.__version__


def test_the_issue_15_names_are_the_library_functions():
    from labelloop.annotate.html import build_annotator
    from labelloop.api import create_annotator
    from labelloop.quality.agreement import agreement
    from labelloop.quality.merge import merge

    assert (labelloop.merge, labelloop.agreement, labelloop.build_annotator, labelloop.create_annotator) == (
        merge, agreement, build_annotator, create_annotator)
