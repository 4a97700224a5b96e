"""A local Azure OpenAI resource for the real ``openai`` SDK. See README.md.

Public surface: :class:`AzureOpenAIServer`, :func:`local_emulator`, :class:`AzureOpenAIBackend`.
Imported lazily so ``import mocks.azure_openai.cli`` stays cheap.
"""

__all__ = ["AzureOpenAIServer", "AzureOpenAIBackend", "local_emulator"]


def __getattr__(name):
    if name in ("AzureOpenAIServer", "local_emulator"):
        from mocks.azure_openai import server

        return getattr(server, name)
    if name == "AzureOpenAIBackend":
        from mocks.azure_openai.models import AzureOpenAIBackend

        return AzureOpenAIBackend
    raise AttributeError(name)
