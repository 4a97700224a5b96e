# MUTANT client__key_only: a plausible wrong client.py; the graded tests must fail on it.
# ruff: noqa
"""Connecting to Azure OpenAI: key or Entra ID, explicit timeouts, and no hidden retries.

``shared.azure.azure_openai_connection(settings)`` says *where* to connect (the endpoint of
the local emulator or of your resource, the API version, the deployment, and a key or None).
This module builds the client from it.

* **Authentication.** With a key, the client sends it in the ``api-key`` header. Without one it
  uses Microsoft Entra ID: ``DefaultAzureCredential`` finds a identity (``az login``, a managed
  identity, environment variables of a service principal) and ``get_bearer_token_provider``
  turns it into fresh bearer tokens for the Cognitive Services scope. Entra ID is what
  production should use: no long-lived secret to leak or rotate.
* **Timeouts.** The SDK's default waits up to 10 minutes for an answer. A triage call that
  has not answered in a minute is stuck; time it out and retry it.
* **Retries.** The SDK retries twice by default (honouring ``retry-after``). The lab has its
  own retry logic that also splits batches, paces the whole run and counts every try, so the
  SDK's are turned off: two retry layers multiply (3 SDK tries x 4 lab tries = 12 calls).
"""

from __future__ import annotations

import httpx

ENTRA_SCOPE = "https://cognitiveservices.azure.com/.default"
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 60.0


def timeouts(read_s: float = READ_TIMEOUT_S, connect_s: float = CONNECT_TIMEOUT_S) -> httpx.Timeout:
    """Connect quickly or fail; allow ``read_s`` for the model to answer."""
    return httpx.Timeout(read_s, connect=connect_s)


def make_client(connection, *, credential=None, read_timeout_s: float = READ_TIMEOUT_S):
    """An ``openai.AsyncAzureOpenAI`` for this connection, with the SDK's retries off.

    ``connection`` has ``endpoint``, ``api_version`` and ``api_key`` (a ``Secret``, or None for
    Entra ID). ``credential`` is the azure-identity credential to use without a key
    (default: ``DefaultAzureCredential()``).
    """
    from openai import AsyncAzureOpenAI

    # BEGIN SOLUTION
    # HINT: api_key=connection.api_key.reveal(), or azure_ad_token_provider=get_bearer_token_provider(...).
    common = {
        "azure_endpoint": connection.endpoint,
        "api_version": connection.api_version,
        "timeout": timeouts(read_timeout_s),
        "max_retries": 0,  # the lab retries (triage.py); two layers would multiply
    }
    return AsyncAzureOpenAI(api_key=connection.api_key and connection.api_key.reveal(), **common)  # BUG
    from azure.identity import DefaultAzureCredential, get_bearer_token_provider

    provider = get_bearer_token_provider(credential or DefaultAzureCredential(), ENTRA_SCOPE)
    return AsyncAzureOpenAI(azure_ad_token_provider=provider, **common)
    # END SOLUTION
