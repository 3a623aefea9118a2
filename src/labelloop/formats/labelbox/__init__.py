"""Labelbox files for conversational / LLM human-preference projects, read and written.

Labelbox splits a labelled dataset over several files; labelloop writes them side by side and
reads them back as one dataset. For ``save(ds, "out/lb.jsonl", "labelbox")``:

- ``lb.jsonl``: the data rows, one ``{"global_key", "row_data", "media_type": "CONVERSATIONAL"}``
  a line, ``row_data`` being Labelbox's conversational JSON: ``messages`` (the prompt turns, each
  ``{messageId, content, user: {userId, name}, align, canLabel}``) and ``modelOutputs`` (the
  candidates, ``{title, content, modelConfigName}``). The global key is the sample id.
- ``lb.mal.ndjson``: ``prediction`` annotations as model-assisted-labelling (MAL) pre-labels.
- ``lb.labels.ndjson``: ``human`` / ``aggregate`` / ``reference`` annotations as ground truth
  (Label Import). Labelbox makes one label per data row per import, so a sample's second human
  annotation goes to ``lb.labels-2.ndjson``, and so on (``lb.mal-2.ndjson`` likewise).
- ``lb.ontology.json``: the ontology matching the schema (``OntologyBuilder.asdict()`` shape).
- ``lb.labelloop.json``: what Labelbox has no place for (the schema, candidate ids and metadata,
  each annotation's author, kind, score and times), so reading the set back is exact.

Annotation lines follow Labelbox's NDJSON import: ``{"name", "answer", "dataRow": {"globalKey"}}``
with ``answer`` ``{"name"}`` for a radio, a list of ``{"name"}`` for a checklist and a string for
free text; ``messageId`` makes a classification message-scoped; entities are
``{"name", "location": {"start", "end"}, "messageId"}`` with an inclusive ``end`` (labelloop's is
exclusive); nested classifications sit under ``answer.classifications`` (follow-up questions of
the chosen option) or under the entity's ``classifications`` (questions about a span).

The mapping: a question's name is the feature's name. ``single_choice`` is a radio,
``multi_choice`` a checklist, ``text`` free text; a ``rating`` is a radio over its values (free
text when it has more than 50); a ``ranking`` is free text, answers best first joined by
``" > "``. Candidates are ``modelOutputs`` titled ``Response A``, ``Response B``… (or their own
title from an earlier import), and a choice among candidates answers with the title. A
per-candidate question is message-scoped, its ``messageId`` being the candidate's title; span
labels are NER tools (named by the label value, or ``question/label`` when two span questions
share a label), a span on the prompt points at the prompt message's ``messageId``.

Reading takes the data rows file (``--format labelbox``, or recognised by ``row_data`` with
``global_key`` or by conversational ``messages``) and the annotation files beside it: lines from
a file with ``mal`` in its name are ``prediction`` annotations, others ``human`` unless the
sidecar says otherwise. A project export (Export v2 rows: ``data_row`` and ``projects -> labels``,
``objects`` and ``classifications`` with ``radio_answer`` / ``checklist_answers`` / ``text_answer``)
reads as one ``human`` annotation per label, by its ``created_by``. Without the sidecar the schema
comes from ``<stem>.ontology.json`` when present (radio, checklist, text, NER tools, nested
options), else from what the labels' answers imply. Either way an option that names a model output
(``Response B``, an output's title or ``modelConfigName``) is a choice among the candidates, so
"Choose the best response" answers in candidate ids and makes training pairs; a message-scoped
question answered on the prompt's labelled message (the last user turn, as in Labelbox's
examples) is a plain question about the prompt (``fields=["prompt"]``), written back with that
``messageId``; answers on other prompt messages stay as lines in the annotation's
``metadata.labelbox.other_lines`` and are written back as they came. A nested question whose name
another question already has (Labelbox allows one name under two parents) is ``parent/name``.
Messages keep their ``timestampUsec``, user ids and names (``metadata.labelbox.messages``).
"""

from labelloop.formats.labelbox.format import GT_KINDS, LabelboxFormat, row_data, sample_from_row
from labelloop.formats.labelbox.ndjson import read_ndjson
from labelloop.formats.labelbox.ontology import ontology_from_schema, schema_from_ontology, write_ontology

__all__ = ["LabelboxFormat", "ontology_from_schema", "schema_from_ontology", "write_ontology", "row_data",
           "sample_from_row", "read_ndjson", "GT_KINDS"]
