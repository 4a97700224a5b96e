"""Fixtures of the Vision emulator tests: the shared server (mocks/azure_vision/testing.py)."""

from mocks.azure_vision.testing import azure_vision, azure_vision_server  # noqa: F401 (fixtures)
