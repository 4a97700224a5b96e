"""Graded tests of the sample calc lab."""

import pytest


@pytest.mark.exercise(1)
@pytest.mark.points(2)
def test_add(lab_module):
    calc = lab_module("sample/calc", "calc")
    assert calc.add(2, 3) == 5, "add(2, 3) should be 5"
