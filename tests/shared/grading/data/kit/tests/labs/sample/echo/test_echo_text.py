"""Graded tests of the sample echo lab: points, feedback, partial credit, one hidden test."""

import pytest

LAB = "sample/echo"


@pytest.mark.exercise(1)
@pytest.mark.points(2)
def test_shout(lab_module, feedback):
    text = lab_module(LAB, "text")
    feedback("shout('hi') must return 'HI!'")
    assert text.shout("hi") == "HI!", "expected 'HI!': upper-case the text, then one '!'"


@pytest.mark.exercise(2)
@pytest.mark.points(3)
def test_count_words(lab_module, graded_parts):
    text = lab_module(LAB, "text")
    with graded_parts("counts a single word"):
        assert text.count_words("tea") == {"tea": 1}, "one word, counted once"
    with graded_parts("counts repeated words"):
        assert text.count_words("tea for tea") == {"tea": 2, "for": 1}, "repeats add up"
    with graded_parts("ignores case"):
        assert text.count_words("Tea tea") == {"tea": 2}, "'Tea' and 'tea' are the same word"


@pytest.mark.exercise(1)
@pytest.mark.points(1)
@pytest.mark.hidden
def test_shout_empty(lab_module):
    text = lab_module(LAB, "text")
    assert text.shout("") == "!", "an empty text still gets its '!'"


def test_module_documented(lab_module):
    """Not graded: deselected when grading (-m points)."""
    assert lab_module(LAB, "text").__doc__
