"""The operations layer: one function per user-facing operation, under every front end.

The CLI (``labelloop.cli``), the MCP server (``labelloop.mcp``) and the Python API (``labelloop.api``) only parse,
call an operation here and render its typed result. An operation checks its parameters once and raises
:class:`labelloop.errors.ParameterError` naming the parameter, which each front end names in its own terms
(``--flag``, the MCP argument, the Python keyword). One module per command group: ``data``, ``assign``, ``annotate``,
``quality``, ``decisions``, ``report``, ``assist``, ``labelstudio``, ``mlbackend``, ``labelbox``; what they share
is in ``_common``: the one way a dataset is read (``load_dataset``, ``load_datasets``), the one way a schema is found
(``schema_for``), the progress and note callbacks, and ``check_path`` for paths an operation derives itself.
"""
