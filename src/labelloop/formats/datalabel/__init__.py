"""The DataLabel tool (``knowlyr-datalabel`` 0.3.1): schema, tasks and results files, both ways.

DataLabel shows one task per page and asks one question of it, so its files are simple:

* schema: ``project_name``, ``fields``, ``scoring_rubric`` and/or ``annotation_config`` with
  ``type`` scoring / single_choice / multi_choice / text / ranking. ``schema_from_datalabel``
  maps it to an ``AnnotationSchema`` whose question names are DataLabel's value keys
  (``score``, ``choice``, ``choices``, ``text``, ``ranking``) plus an optional ``comment``.
* tasks (format ``datalabel``): a list, or ``{"samples" | "tasks": [...]}``, of
  ``{id, data: {...}, task_type}`` (or flat tasks ``{id, instruction, response…}``, recognised by an id,
  a prompt key and a response key). ``data``
  keys map onto the prompt (prompt / instruction [+ input] / question / query / input / text),
  the candidates (``response``; ``response_a``, ``response_b``... with ids ``"a"``, ``"b"``;
  ``chosen``/``rejected`` as ``"0"``/``"1"`` plus a ``reference`` preference; a ``responses``
  list) and the sample metadata (everything else).
* results (format ``datalabel_results``): one annotator's export, JSON
  ``{schema, metadata, responses: [...]}``, JSONL or CSV of ``{task_id, data, score | choice |
  choices | text | ranking, comment, annotated_at}``, read as ``human`` annotations (annotator:
  ``metadata.annotator``, else the file name); the file ``merge`` writes (``individual_*`` keys)
  as ``aggregate`` ones; LLM pre-labels (``source: llm_prelabel``) as ``prediction`` ones.
  ``load_results`` reads several annotators' files (and optionally the tasks) into one dataset; the
  quality inputs give a tasks file with results files (``pre.json`` among them) to it, every task kept.

Options ``a``, ``b``… of a choice or ranking that name ``response_a``, ``response_b``… are a choice among
the candidates (``options_from_candidates``), so the offline page and the pre-label prompt show each
answer under its one screen letter; text questions keep ``placeholder`` and ``max_length``.

Writing tasks keeps labelloop's candidate ids, models and metadata in a task-level ``labelloop``
key that DataLabel ignores; DataLabel shows candidates as ``response_a``, ``response_b``... in a
seeded per-task shuffled order (the design's rule against position bias), every task as many as
the project's largest (the schema's options name that many; an empty position says so), and
``load_results`` with the tasks file maps the letters in people's answers back to candidate ids.

``schema`` reads and writes schemas, ``tasks`` tasks files, ``results`` results files.
"""

from labelloop.formats.datalabel.results import DataLabelResultsFormat, load_results
from labelloop.formats.datalabel.schema import schema_from_datalabel, schema_to_datalabel
from labelloop.formats.datalabel.tasks import DataLabelTasksFormat, sample_from_data, write_tasks

__all__ = ["schema_from_datalabel", "schema_to_datalabel", "DataLabelTasksFormat", "DataLabelResultsFormat",
           "load_results", "write_tasks", "sample_from_data"]
