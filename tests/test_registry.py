"""The one Registry: names listed sorted, or in registration order where that order is what users read."""

import pytest

from labelloop.errors import UnknownNameError
from labelloop.registry import Registry


def test_unknown_names_fail_with_the_known_ones_sorted_or_in_registration_order():
    plain: Registry[int] = Registry("widget")
    ordered: Registry[int] = Registry("step", ordered=True)
    for reg in (plain, ordered):
        reg.register("zeta", 1)
        reg.register("alpha", 2)
    assert (plain.names(), list(plain)) == (["alpha", "zeta"], ["alpha", "zeta"])
    assert (ordered.names(), list(ordered)) == (["zeta", "alpha"], ["zeta", "alpha"])
    with pytest.raises(UnknownNameError) as unknown:
        ordered.get("beta")
    assert str(unknown.value) == "Unknown step 'beta'; known: zeta, alpha."
    with pytest.raises(UnknownNameError) as unknown:
        plain.get("beta")
    assert str(unknown.value) == "Unknown widget 'beta'; known: alpha, zeta."
    assert ordered.get("alpha") == 2 and "zeta" in ordered and "beta" not in ordered
