"""Variant: shout() prints megabytes to stdout and stderr, then answers wrongly."""

import sys


def shout(text: str) -> str:
    line = "noise " * 170 + "\n"
    for _ in range(3000):  # about 3 MB on each stream
        sys.stdout.write(line)
        sys.stderr.write(line)
    return text


def count_words(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for word in text.split():
        counts[word.lower()] = counts.get(word.lower(), 0) + 1
    return counts

