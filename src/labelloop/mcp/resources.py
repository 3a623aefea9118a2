"""Resources (templates, the schema's JSON Schema, question types, dataset summaries) and prompts."""


import json

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError
from mcp.server.mcpserver.resources import ResourceSecurity
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS

from labelloop.errors import LabelloopError
from labelloop.mcp.state import State

# ---------------------------------------------------------------------- resources (static text)
QUESTION_TYPES: dict[str, dict[str, str]] = {
    "single_choice": {"value": "one option value (a candidate id when options_from_candidates)",
                      "example": '"1"', "needs": "options, or options_from_candidates"},
    "multi_choice": {"value": "list of option values", "example": '["incorrect", "unsafe"]',
                     "needs": "options, or options_from_candidates"},
    "rating": {"value": "number; with per_candidate a mapping candidate id -> number",
               "example": '4  or  {"0": 5, "1": 2}', "needs": "min and max (step), or a rubric"},
    "ranking": {"value": "list of candidate ids (or option values), best first", "example": '["1", "0", "2"]',
                "needs": "options, or options_from_candidates"},
    "text": {"value": "string", "example": '"The second answer misreads the question."', "needs": "nothing"},
    "span": {"value": "list of {field, start, end, label} with character offsets",
             "example": '[{"field": "candidate:0", "start": 4, "end": 17, "label": "error"}]',
             "needs": "options (the span labels)"},
}


def question_types_markdown() -> str:
    from typing import get_args

    from labelloop.data.schema import QuestionType

    lines = ["# Question types and value shapes", "",
             "Every label is an Annotation whose `values` map question name -> value. Values are stored in "
             "candidate ids, never in screen positions.", "",
             "| type | value | example | the question needs |", "|---|---|---|---|"]
    for name in get_args(QuestionType):
        q = QUESTION_TYPES.get(name, {"value": "", "example": "", "needs": ""})
        lines.append(f"| `{name}` | {q['value']} | `{q['example']}` | {q['needs']} |")
    lines += ["", "Annotation kinds: `human`, `prediction` (a model or LLM), `reference` (came with the data), "
              "`aggregate` (a merge result)."]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------- the server


def register(mcp: MCPServer, s: State) -> None:
    g = s.guard

    def summary_of(path: str) -> dict:
        from labelloop.data.summary import dataset_summary
        from labelloop.ops._common import load_dataset

        return dataset_summary(load_dataset(g.path(path, "dataset", exists=True))[0])

    # ------------------------------------------------------------------ resources
    @mcp.resource("labelloop://templates", name="templates", mime_type="application/json",
                  description="The built-in templates (ready annotation schemas): name and what each asks.")
    def templates_resource() -> str:
        from labelloop.templates import TEMPLATES

        return json.dumps([{"name": n, "description": _template_description(n), "uri": f"labelloop://templates/{n}"}
                           for n in TEMPLATES], indent=2)

    for _name in _template_names():
        _add_template_resource(mcp, _name)

    @mcp.resource("labelloop://schema/json-schema", name="schema-json-schema", mime_type="application/json",
                  description="The JSON Schema of an annotation schema file (AnnotationSchema).")
    def schema_json_schema() -> str:
        from labelloop.data.schema import AnnotationSchema

        return json.dumps(AnnotationSchema.model_json_schema(), indent=2)

    @mcp.resource("labelloop://question-types", name="question-types", mime_type="text/markdown",
                  description="Question types and the shape of their values in an annotation.")
    def question_types() -> str:
        return question_types_markdown()

    @mcp.resource("labelloop://dataset/{+path}", name="dataset-summary", mime_type="application/json",
                  description="A dataset's summary (samples, schema, candidates, annotations) by path under the roots.",
                  security=ResourceSecurity(exempt_params={"path"}))
    def dataset_resource(path: str) -> str:
        try:
            return json.dumps(summary_of(path), default=str, indent=2)
        except LabelloopError as exc:
            raise ResourceError(g.redact(str(exc))) from None

    # ------------------------------------------------------------------ prompts
    @mcp.prompt(title="Design an annotation schema")
    def design_schema(task: str, examples: str = "") -> str:
        """Design a labelloop annotation schema for a labelling task."""
        from labelloop.templates import TEMPLATES

        example = TEMPLATES.get("rewardbench")().model_dump(mode="json", exclude_defaults=True)
        return (f"Design an annotation schema for this task:\n\n{task}\n\n"
                + (f"Example items:\n{examples}\n\n" if examples else "")
                + "Write it as a labelloop AnnotationSchema in YAML (name, questions, guidelines). Prefer few, "
                "clear questions; use options_from_candidates when people judge the model answers themselves; give "
                "a rubric for ratings; mark optional questions required: false; write short Markdown guidelines "
                "with the edge cases (ties, both bad).\n\n" + question_types_markdown()
                + "\nA built-in template for comparison (rewardbench):\n```json\n" + json.dumps(example, indent=1)
                + "\n```\nThe full JSON Schema is the resource labelloop://schema/json-schema; templates are listed at "
                "labelloop://templates. Save the schema under the server root and check it with the validate tool.")

    @mcp.prompt(title="Review annotation quality")
    def review_quality(path: str) -> str:
        """Review a project's annotation quality: agreement, schema problems, what to adjudicate."""
        try:
            summary = summary_of(path)
        except LabelloopError as exc:
            raise MCPError(code=INVALID_PARAMS, message=g.redact(str(exc))) from None
        return (f"Review the annotation quality of the dataset {path}. Its summary:\n```json\n"
                f"{json.dumps(summary, indent=1, default=str)}\n```\n"
                "1. Call validate to list labels that do not fit the schema.\n"
                "2. Call agreement (bootstrap 1000) and read Krippendorff's alpha per question: below 0.667 is "
                "unreliable, above 0.8 is good; look at per-annotator figures for an outlier annotator.\n"
                "3. Look at the most disagreed items and say whether the guidelines or the schema cause them "
                "(call guidelines for a better draft if so).\n"
                "4. Call merge (majority, or dawid-skene with several annotators of unequal skill) and adjudicate "
                "for what stays tied; report how many items need a reviewer.\n"
                "Finish with a short verdict: can this data train a model as it is, and what to fix first.")

    @mcp.prompt(title="Walk through the whole loop")
    def full_loop(path: str, goal: str = "DPO training pairs") -> str:
        """Take a raw file to annotators, agreement and training data, step by step, with labelloop's tools."""
        return (f"Take the raw file {path} to {goal}, using labelloop's tools, one step at a time; show the "
                "figures each tool returns and stop to ask when a choice matters.\n"
                "1. info on the raw file, then convert it to a canonical dataset (e.g. data/dataset.jsonl).\n"
                "2. Pick a template (resource labelloop://templates) or design a schema; validate.\n"
                "3. Optionally prelabel with an LLM (provider keys come from the server's environment).\n"
                "4. Put it in front of people: create_annotator (an offline HTML page to send around) or "
                "labelstudio_push (a running Label Studio); use select_next_batch to choose what to label first.\n"
                "5. Bring the work back: import_results for the page's exported files, labelstudio_pull for "
                "Label Studio.\n"
                "6. agreement; then merge (or adjudicate) into aggregate labels; dashboard for an overview.\n"
                "7. export with format 'dpo' (pairs best-vs-rest, split {'train': 0.9, 'test': 0.1}).")


def _template_names() -> list[str]:
    from labelloop.templates import TEMPLATES

    return list(TEMPLATES)


def _template_description(name: str) -> str:
    """The template's docstring, else what its questions ask."""
    from labelloop.templates import TEMPLATES

    factory = TEMPLATES.get(name)
    return (factory.__doc__ or "").strip() or "; ".join(q.title or q.name for q in factory().questions) + "."


def _add_template_resource(mcp: MCPServer, name: str) -> None:
    from labelloop.templates import TEMPLATES

    @mcp.resource(f"labelloop://templates/{name}", name=f"template-{name}", mime_type="application/json",
                  description=_template_description(name))
    def template_schema() -> str:
        return TEMPLATES.get(name)().model_dump_json(indent=2)

