"""ParameterError: one sentence, each front end naming the parameter its own way."""

from labelloop.errors import ParameterError


def test_each_front_end_names_the_parameter():
    e = ParameterError("bootstrap", "{param} must be 0 or more, not -1.")
    assert str(e) == "bootstrap must be 0 or more, not -1."
    assert e.render(lambda p: "--" + p) == "--bootstrap must be 0 or more, not -1."


def test_one_argument_for_both_names_it_once():
    e = ParameterError("template", "The dataset carries no schema; name one with {param} or {other}.", other="schema")
    assert str(e) == "The dataset carries no schema; name one with template or schema."
    assert e.render(lambda p: {"template": "schema"}.get(p, p)) == "The dataset carries no schema; name one with schema."
    assert e.render(lambda p: "--" + p) == "The dataset carries no schema; name one with --template or --schema."
    e = ParameterError("model", "{param}, {b} and {c} need {d}.", b="base_url", c="api_key_env", d="provider")
    assert e.render(lambda p: "--" + p.replace("_", "-")) == "--model, --base-url and --api-key-env need --provider."
