"""A whole file of hidden tests: left out of student releases."""

import pytest

pytestmark = pytest.mark.hidden


@pytest.mark.exercise(1)
@pytest.mark.points(2)
def test_shout_twice(lab_module):
    text = lab_module("sample/echo", "text")
    assert text.shout(text.shout("a")) == "A!!", "shouting twice adds two '!'"
