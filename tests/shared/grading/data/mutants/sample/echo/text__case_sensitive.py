"""Mutant: count_words forgets to lower-case (loses the 'ignores case' part)."""


def shout(text: str) -> str:
    return f"{text.upper()}!"


def count_words(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for word in text.split():
        counts[word] = counts.get(word, 0) + 1
    return counts
