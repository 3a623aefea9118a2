"""``labelloop.data.numbers``: how a figure, a share, a duration and a number read, exactly."""

from __future__ import annotations

import pytest

from labelloop.data.numbers import MISSING, compact, duration, figure, percent, plain_number


def test_figure() -> None:
    assert [figure(None), figure(0.5), figure(2 / 3), figure(2 / 3, 1), figure(3), figure(True), figure("x")] == [
        "—", "0.500", "0.667", "0.7", "3", "True", "x"]
    assert MISSING == "—"


def test_percent_and_duration() -> None:
    assert [percent(None), percent(0.8333333333333334), percent(1.0), percent(0.0)] == ["—", "83.3%", "100.0%", "0.0%"]
    assert [duration(None), duration(0.5), duration(119.94), duration(120), duration(754.0)] == [
        "—", "0.5 s", "119.9 s", "2.0 min", "12.6 min"]


def test_compact_and_plain_number() -> None:
    assert [compact(2.0), compact(0.25), compact(3), compact(1e-7)] == ["2", "0.25", "3", "1e-07"]
    assert [plain_number(2.0), plain_number("3"), plain_number(2.5), plain_number(-0.0)] == [2, 3, 2.5, 0]
    assert type(plain_number(2.0)) is int and type(plain_number("2.5")) is float
    with pytest.raises(ValueError):
        plain_number("two")


def test_plain_number_digits() -> None:
    """Rounding takes off float noise from what is not whole; what it makes whole stays a float, as Labelbox
    option names always had it."""
    assert [plain_number(0.1 + 0.2), plain_number(0.1 + 0.2, 10), plain_number("2.5", 10), plain_number(3.0, 10)] == [
        0.30000000000000004, 0.3, 2.5, 3]
    assert repr(plain_number(2.00000000001, 10)) == "2.0" and type(plain_number(3.0, 10)) is int
    assert compact(plain_number(1e-11)) == "1e-11" and compact(plain_number(1e-11, 10)) == "0"
