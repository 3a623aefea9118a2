"""The ``labelloop`` command line: one module per command group (``data``, ``assist``, ``annotate``,
``labelstudio``, ``quality``, ``report``, ``mlbackend``, ``labelbox``, ``mcp``), the options they share in
``_common``, and the command itself, in the order ``--help`` lists it, in ``app``."""

from labelloop.cli.app import app, main

__all__ = ["app", "main"]
