"""Vertex AI emulator: Vertex AI REST and Cloud Storage JSON API for the real SDKs (see README.md)."""
