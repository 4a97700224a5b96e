"""Variant: shout() calls sys.exit (must fail only that test)."""

import sys


def shout(text: str) -> str:
    sys.exit(3)


def count_words(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for word in text.split():
        counts[word.lower()] = counts.get(word.lower(), 0) + 1
    return counts

