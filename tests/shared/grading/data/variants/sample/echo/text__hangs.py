"""Variant: shout() waits forever (a per-test timeout must fail only that test)."""

import time


def shout(text: str) -> str:
    time.sleep(3600)
    return text.upper() + "!"


def count_words(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for word in text.split():
        counts[word.lower()] = counts.get(word.lower(), 0) + 1
    return counts

