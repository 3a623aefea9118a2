"""The offline annotator: one self-contained HTML file that people label with, and its results."""

from labelloop.annotate.html.generator import AnnotatorFile, build_annotator, file_id_of

__all__ = ["AnnotatorFile", "build_annotator", "file_id_of"]
