"""Variant: shout() loops forever and swallows every exception, even the timeout.

Only the runner's wall clock can stop it; other labs must still be graded.
"""


def shout(text: str) -> str:
    while True:
        try:
            while True:
                pass
        except BaseException:  # noqa: B012 - deliberately hostile lab code
            continue


def count_words(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for word in text.split():
        counts[word.lower()] = counts.get(word.lower(), 0) + 1
    return counts

