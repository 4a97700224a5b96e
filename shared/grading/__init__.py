"""Grading: pytest-native grading of the labs, student copies, releases and grade reports.

Modules: ``regions`` (solution regions, student copies), ``plugin`` (the pytest plugin: points,
partial credit, feedback, hidden tests, timeouts, the score table, the lab-code redirect),
``runner`` (one pytest subprocess per lab and submission), ``report`` (Gradescope, JUnit, CSV),
``release`` (student release, test checksums), ``scores`` (latest score per lab) and ``cli``.
Kept empty of imports so ``labkit --help`` stays fast.
"""
