"""Sample lab: arithmetic."""
