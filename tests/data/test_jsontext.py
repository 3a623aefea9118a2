"""The one vocabulary for JSON kinds, shared by data files, LLM replies and the ML backend's payloads."""

from __future__ import annotations

import pytest

from labelloop.data.io import json_kind


@pytest.mark.parametrize(("value", "kind"), [
    (None, "null"), (True, "true or false"), (False, "true or false"), (0, "a number"), (12, "a number"),
    (1.5, "a decimal number"), ("", "a string"), ("x", "a string"), ({}, "an object"), ([1], "a list"),
    ((1,), "tuple"),
])
def test_json_kind_names_each_kind_once(value, kind):
    assert json_kind(value) == kind
