"""Sample lab code: two exercises, each a solution region."""

from __future__ import annotations


def shout(text: str) -> str:
    """Upper-case the text and add one exclamation mark."""
    # BEGIN SOLUTION
    # HINT: str.upper() and an f-string
    return f"{text.upper()}!"
    # END SOLUTION


def count_words(text: str) -> dict[str, int]:
    """Count each word, ignoring case."""
    counts: dict[str, int] = {}
    # BEGIN SOLUTION
    # HINT: split on whitespace;
    # HINT: lower-case each word before counting it
    for word in text.split():
        counts[word.lower()] = counts.get(word.lower(), 0) + 1
    # END SOLUTION
    return counts
