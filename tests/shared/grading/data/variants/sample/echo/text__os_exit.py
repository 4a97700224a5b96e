"""Variant: shout() kills the whole test process (os._exit)."""

import os


def shout(text: str) -> str:
    os._exit(7)


def count_words(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for word in text.split():
        counts[word.lower()] = counts.get(word.lower(), 0) + 1
    return counts

