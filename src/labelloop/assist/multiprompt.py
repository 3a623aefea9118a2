"""Several samples in one call (``--per-call N``): one prompt, one answer per sample id, each judged alone.

The guidelines are said once, and so are the questions when every sample has the same number of answers
(they then read the same); each sample follows under its own id with its own answers (in its own seeded
order, under display labels), as a one-sample prompt shows them. The reply must map
every id to an answer of the one-sample shape; each is validated on its own
(:func:`labelloop.assist.prompt.parse_answer`), so a bad or missing answer fails only its sample, which is
then asked for alone. Both presentations of a sample (``both_orders``) never share a call.
"""

from __future__ import annotations

import json
from typing import Any

from labelloop.assist.prompt import Parsed, build_user_message, clip, load_json_reply, parse_answer
from labelloop.data.schema import AnnotationSchema

MULTI_SYSTEM = (
    "You are a careful, expert annotator of AI assistant answers. You are given several tasks, each under its "
    "own id. Judge each task on its own: read its prompt and answers, follow the guidelines, and answer every "
    "question of that task. Refer to answers only by their labels (A, B, …). Reply with one JSON object and "
    'nothing else: {"answers": {<task id>: {"values": {<question name>: <answer>, ...}, "confidence": <number '
    'from 0 to 1>, "rationale": "<one or two sentences>"}, ...}}, with one entry for every task id.'
)
MULTI_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"answers": {"type": "object", "description": "One answer per task id."}},
    "required": ["answers"],
}


def task_ids(jobs: list[Any]) -> list[str]:
    """The id each job goes by in the prompt: its sample's id (made unique if the file repeats one)."""
    seen: dict[str, int] = {}
    out = []
    for job in jobs:
        sid = job.sample.id
        seen[sid] = seen.get(sid, 0) + 1
        out.append(sid if seen[sid] == 1 else f"{sid}#{seen[sid]}")
    return out


QUESTIONS = "\n\n## Questions\n"


def build_multi_message(schema: AnnotationSchema, jobs: list[Any]) -> str:
    """The guidelines once; the questions once too when every task has the same (same number of answers);
    then each task as its one-sample prompt shows it."""
    ids = task_ids(jobs)
    bare = schema.model_copy(update={"guidelines": ""})
    bodies, questions = [], []
    for job in jobs:
        body = build_user_message(bare, job.sample, job.view)
        head, sep, last = body.rpartition("\n\n")
        if sep and last.startswith("Reply with"):
            body = head
        head, sep, qs = body.rpartition(QUESTIONS)
        bodies.append((head, qs) if sep else (body, None))
        questions.append(qs if sep else None)
    shared = questions[0] if questions and questions[0] is not None and len(set(questions)) == 1 else None
    parts = []
    if schema.guidelines.strip():
        parts.append("## Guidelines\n" + schema.guidelines.strip())
    if shared is not None:
        parts.append("## Questions (the same for every task)\n" + shared)
    for tid, (head, qs) in zip(ids, bodies):
        body = head if shared is not None or qs is None else head + QUESTIONS + qs
        parts.append(f"# Task {json.dumps(tid, ensure_ascii=False)}\n\n{body}")
    listed = ", ".join(json.dumps(t, ensure_ascii=False) for t in ids)
    parts.append(f'Reply with the JSON object only: {{"answers": {{<task id>: {{"values": {{...}}, "confidence": ..., '
                 f'"rationale": ...}}, ...}}}}, with an entry for each of the {len(ids)} task ids: {listed}.')
    return "\n\n".join(parts)


def split_answers(text: str, schema: AnnotationSchema, jobs: list[Any]) -> list[Parsed]:
    """Each job's answer from a many-task reply, parsed and validated alone; problems name what went wrong."""
    obj, problem = load_json_reply(text)
    if problem is None and not (isinstance(obj, dict) and isinstance(obj.get("answers"), dict)):
        problem = 'the reply must be a JSON object with an "answers" object'
    if problem is not None:
        return [Parsed({}, None, "", [problem]) for _ in jobs]
    answers = obj["answers"]
    out = []
    for tid, job in zip(task_ids(jobs), jobs):
        one = answers.get(tid)
        if one is None:
            out.append(Parsed({}, None, "", [clip(f"the reply has no answer for task {tid!r}")]))
            continue
        out.append(parse_answer(json.dumps(one, ensure_ascii=False), schema, job.sample, job.view))
    return out
