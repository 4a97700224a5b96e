"""Sample labs: test data for the grading layer."""
