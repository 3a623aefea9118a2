"""DataLabel test data used in more than one folder (tests/formats reads it, tests/quality measures agreement on it)."""

from __future__ import annotations

#: a DataLabel pairwise-preference schema: prompt and two responses, one single choice (a, b, tie)
PREF_SCHEMA = {
    "project_name": "pref test",
    "fields": [{"name": "prompt", "type": "text"}, {"name": "response_a", "type": "text"},
               {"name": "response_b", "type": "text"}],
    "annotation_config": {"type": "single_choice",
                          "options": [{"value": "a", "label": "A better"}, {"value": "b", "label": "B better"},
                                      {"value": "tie", "label": "Tie"}]},
}
