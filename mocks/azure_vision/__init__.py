"""A local Azure AI Vision (Image Analysis 4.0) resource for the real SDK. See README.md.

Public surface: :class:`AzureVisionServer`, :func:`local_emulator`, :class:`VisionBackend`.
Imported lazily so ``import mocks.azure_vision.cli`` stays cheap.
"""

__all__ = ["AzureVisionServer", "VisionBackend", "local_emulator"]


def __getattr__(name):
    if name in ("AzureVisionServer", "local_emulator"):
        from mocks.azure_vision import server

        return getattr(server, name)
    if name == "VisionBackend":
        from mocks.azure_vision.models import VisionBackend

        return VisionBackend
    raise AttributeError(name)
