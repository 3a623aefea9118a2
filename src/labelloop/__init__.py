"""labelloop: human-in-the-loop annotation of LLM data.

Load preference and chat data into one data model, get pre-labels, put the work in front of
people, measure agreement, merge, and export training data.
"""

from labelloop._version import __version__
from labelloop.annotate.html import build_annotator
from labelloop.api import create_annotator, create_exporter, create_loader
from labelloop.data.model import Annotation, Candidate, DataSample, Dataset, Message, content_id
from labelloop.data.schema import AnnotationSchema, FieldSpec, Option, Question, RubricLevel
from labelloop.errors import LabelloopError
from labelloop.formats import FORMATS, SampleReader, load, save
from labelloop.formats.schemas import load_schema
from labelloop.quality.agreement import agreement
from labelloop.quality.merge import merge
from labelloop.templates import TEMPLATES

__all__ = [
    "Annotation", "AnnotationSchema", "Candidate", "DataSample", "Dataset", "FieldSpec", "FORMATS",
    "LabelloopError", "Message", "Option", "Question", "RubricLevel", "SampleReader", "TEMPLATES",
    "agreement", "build_annotator", "content_id", "create_annotator", "create_exporter", "create_loader", "load",
    "load_schema", "merge", "save", "__version__",
]
