"""Variant: the module raises while it is imported."""

raise RuntimeError("this lab module is broken at import")
