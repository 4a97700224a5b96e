"""Sample stack."""
