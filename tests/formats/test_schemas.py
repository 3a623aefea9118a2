"""Finding a schema: template names, labelloop's and DataLabel's files, the dataset's own, and the parameter errors."""

from __future__ import annotations

import pytest

from labelloop import TEMPLATES, Dataset
from labelloop.errors import InputFileError, ParameterError, SchemaError
from labelloop.formats.schemas import load_schema, resolve_schema


def test_load_schema_from_yaml_template_and_errors(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text("name: mine\nquestions:\n  - {name: ok, type: single_choice, options: [{value: 'yes'}, {value: 2}]}\n")
    sch = load_schema(p)
    assert sch.name == "mine" and [o.value for o in sch.questions[0].options] == ["yes", "2"]
    assert load_schema("rewardbench2").name == "rewardbench2"
    with pytest.raises(InputFileError, match="neither a file nor a template"):
        load_schema("nope")
    yes = tmp_path / "y.yaml"
    yes.write_text("questions:\n  - {name: q, type: single_choice, options: [{value: yes}]}\n")
    with pytest.raises(SchemaError, match=r"option value True is a boolean; quote it in YAML"):
        load_schema(yes)
    bad = tmp_path / "b.yaml"
    bad.write_text("questions:\n  - {name: q, type: rating}\n")
    with pytest.raises(SchemaError, match=r"b.yaml: questions.0: Value error, rating question 'q' needs min"):
        load_schema(bad)


def test_resolve_schema_takes_template_then_file_then_the_dataset_s_own(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text("name: from-file\nquestions:\n  - {name: q, type: text}\n")
    own = TEMPLATES.get("rating")()
    ds = Dataset(name="d", samples=[], schema=own)
    assert resolve_schema("rewardbench", None, ds).name == "rewardbench"
    assert resolve_schema(None, p, ds).name == "from-file"
    assert resolve_schema(None, None, ds) is own
    assert resolve_schema(None, None, Dataset(name="d", samples=[])) is None


@pytest.mark.parametrize(("template", "schema", "dataset", "text", "cli"), [
    ("rewardbench", "s.yaml", None, "Give template or schema, not both.", "Give --template or --schema, not both."),
    (None, None, None, "Name a schema with template or schema (or give a dataset that carries one).",
     "Name a schema with --template or --schema (or give a dataset that carries one)."),
    (None, None, Dataset(name="d", samples=[]), "The dataset carries no schema; name one with template or schema.",
     "The dataset carries no schema; name one with --template or --schema."),
])
def test_resolve_schema_errors_name_the_parameters(template, schema, dataset, text, cli):
    with pytest.raises(ParameterError) as exc:
        resolve_schema(template, schema, dataset, required=True)
    assert (exc.value.param, exc.value.others) == ("template", {"other": "schema"})
    assert str(exc.value) == text
    assert exc.value.render(lambda p: f"--{p}") == cli
