"""Sample lab: text exercises."""
