"""Library errors that tell the caller which parameter to give name it through ParameterError, so the command
line says ``--base-url`` and MCP and Python callers ``base_url``."""

from __future__ import annotations

import pytest

from labelloop.assist.llm import get_provider
from labelloop.assist.predictors import prelabel_local
from labelloop.data.model import Candidate, DataSample, Dataset, Message
from labelloop.errors import ParameterError
from labelloop.quality.questions import resolve
from labelloop.templates import TEMPLATES


def _unlabelled() -> Dataset:
    return Dataset(name="d", samples=[DataSample(id="s", prompt=[Message(role="user", content="q")],
                                                 candidates=[Candidate(id="0", content="a"),
                                                             Candidate(id="1", content="b")])])


@pytest.mark.parametrize(("call", "param", "text"), [
    (lambda: get_provider("compatible", model="m").check_ready(), "base_url",
     "Provider 'compatible' needs a base URL; pass {}."),
    (lambda: prelabel_local(_unlabelled(), TEMPLATES.get("rewardbench")()), "fit_on",
     "Dataset 'd' has no human annotations to learn from; label some samples first (or use {} reference)."),
    (lambda: resolve(_unlabelled()), "schema",
     "Dataset 'd' has no schema and no annotation values to infer one from; pass {}."),
])
def test_the_hint_names_the_parameter_in_each_front_end_s_terms(call, param, text):
    with pytest.raises(ParameterError) as exc:
        call()
    assert exc.value.param == param
    assert str(exc.value) == text.format(param)
    assert exc.value.render(lambda p: "--" + p.replace("_", "-")) == text.format("--" + param.replace("_", "-"))
