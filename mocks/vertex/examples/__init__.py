"""Runnable trainers for the Vertex emulator: what a Vertex training module looks like."""
