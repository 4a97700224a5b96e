"""Sample lab code: one exercise without a hint."""


def add(a: int, b: int) -> int:
    # BEGIN SOLUTION
    return a + b
    # END SOLUTION
