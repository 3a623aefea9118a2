"""Errors a user can cause. Each carries one sentence that names the file, line, field or URL.

The CLI prints ``str(error)`` and exits non-zero without a traceback, so the message must stand
on its own. Every class lives here, in one tree::

    LabelloopError
    ├── ParameterError          a parameter out of range or of the wrong shape (names the parameter)
    ├── InputFileError          a file to read is missing, unreadable or empty
    ├── UnknownNameError        a format, template, provider or strategy that is not registered
    ├── FormatError             rows that do not fit their format
    │   ├── BadRowError         one row that cannot be parsed (with its location)
    │   │   └── StoppedAtBadRowError  the bad row a read stopped at (also a ParameterError: skip_bad)
    │   └── RowError            a row the format cannot use (the reader adds the location)
    ├── DuplicateIdError, SchemaError, AnnotationValueError, OutputError, MissingDependencyError
    ├── ResultsMismatchError    results made from another annotator file or schema
    ├── GuidelinesError         guidelines an LLM could not write
    ├── ProviderError           a failed LLM call (``fatal``: stop the run)
    ├── LabelStudioError        Label Studio refused or cannot be reached
    │   ├── AuthError, NotFoundError
    ├── ServerError             Label Studio cannot be started, stopped or found
    ├── ProjectError            a project labelloop cannot push to or pull from
    ├── OutsideRootsError       a path the MCP server may not touch
    └── EndpointError           a URL the MCP server's operator did not configure
"""

from __future__ import annotations


class LabelloopError(Exception):
    """Base class for every error caused by input, configuration or the environment."""

    exit_code = 1


class ParameterError(LabelloopError):
    """A parameter an operation cannot take: out of range, of the wrong shape, or in conflict with another.

    ``message`` holds ``{param}`` where the parameter is named, so that each front end names it in its own
    terms: ``--bootstrap`` on the command line, ``bootstrap`` over MCP and in Python (``str(error)``).
    ``render(name)`` gives the sentence with another name; ``{param}`` may appear more than once, and
    ``others`` maps further ``{key}`` placeholders to parameter names (e.g. ``{other}``: ``"provider"``).
    """

    def __init__(self, param: str, message: str, **others: str) -> None:
        self.param = param
        self.template = message
        self.others = others
        super().__init__(self.render())

    def render(self, name=None) -> str:  # noqa: ANN001  (a callable or None)
        """The sentence with each parameter named by ``name(param)`` (default: as is, the Python keyword)."""
        name = name or (lambda p: p)
        template = self.template
        for k, v in self.others.items():  # a front end whose one argument takes both: "schema", not "schema or schema"
            if name(v) == name(self.param):
                for pair in (f"{{param}} or {{{k}}}", f"{{{k}}} or {{param}}"):
                    template = template.replace(pair, "{param}")
        return template.format(param=name(self.param), **{k: name(v) for k, v in self.others.items()})

    @staticmethod
    def literal(text: str) -> str:
        """``text`` (a path, a value, another error's sentence) made safe to place in ``message``: its braces
        doubled, so ``render`` shows them as they are."""
        return text.replace("{", "{{").replace("}", "}}")


class InputFileError(LabelloopError):
    """A file or directory to read is missing, unreadable or empty."""


class UnknownNameError(LabelloopError):
    """A format, template, provider or strategy name that is not registered."""


class FormatError(LabelloopError):
    """Rows that do not fit the format they are read as (missing column, bad type)."""


class BadRowError(FormatError):
    """One row (a JSONL line, a CSV record) that cannot be parsed."""

    def __init__(self, message: str, location: str, raw: str | None = None) -> None:
        super().__init__(message)
        self.location = location
        self.raw = raw


class DuplicateIdError(LabelloopError):
    """Two samples in one dataset share an id."""


class SchemaError(LabelloopError):
    """An annotation schema that is itself malformed."""


class AnnotationValueError(LabelloopError):
    """An annotation value that does not fit its question; names sample, question and value."""


class OutputError(LabelloopError):
    """An output that cannot be written."""


class MissingDependencyError(LabelloopError):
    """An optional extra that is not installed."""


class RowError(FormatError):
    """A row that the format cannot use; the reader adds the row's location."""


class StoppedAtBadRowError(BadRowError, ParameterError):
    """The bad row a read stopped at, with a hint naming the parameter (``skip_bad``) that sets such rows aside.

    Both a ``BadRowError`` (its ``location`` and ``raw``) and a ``ParameterError``, so each front end names
    the parameter in its own terms (``--skip-bad`` on the command line).
    """

    def __init__(self, message: str, location: str, raw: str | None = None, *, param: str = "skip_bad") -> None:
        ParameterError.__init__(self, param, message)
        self.location = location
        self.raw = raw


class ResultsMismatchError(LabelloopError):
    """Results that were made from a different annotator file or schema."""


class GuidelinesError(LabelloopError):
    """Guidelines that could not be written (an LLM that gave no usable answer)."""


class ProviderError(LabelloopError):
    """A provider call that failed. ``fatal`` errors (bad key, unknown model) stop the whole run."""

    def __init__(self, message: str, *, fatal: bool = False) -> None:
        super().__init__(message)
        self.fatal = fatal


class LabelStudioError(LabelloopError):
    """Label Studio refused a request, or cannot be reached."""


class AuthError(LabelStudioError):
    """The token was refused."""


class NotFoundError(LabelStudioError):
    """A project, task or other object does not exist."""


class ServerError(LabelloopError):
    """Label Studio cannot be started, stopped or found."""


class ProjectError(LabelloopError):
    """A Label Studio project that labelloop cannot push to or pull from."""


class OutsideRootsError(LabelloopError):
    """A path the MCP server was not allowed to touch."""


class EndpointError(LabelloopError):
    """A URL the operator did not configure, or a configuration that cannot be read."""
