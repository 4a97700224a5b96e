# MUTANT client__sdk_retries_on: a plausible wrong client.py; the graded tests must fail on it.
# ruff: noqa
"""Connecting to Azure AI Vision: key or Entra ID, explicit timeouts, and no hidden retries.

``shared.azure.vision_connection(settings)`` says *where* to connect (the local emulator's
endpoint and key, or your resource's ``VISION_ENDPOINT`` and ``VISION_KEY``, or no key). This
module builds the real ``azure.ai.vision.imageanalysis.ImageAnalysisClient`` from it.

* **Authentication.** With a key, an ``AzureKeyCredential``: the SDK sends it in the
  ``Ocp-Apim-Subscription-Key`` header. Without one, Microsoft Entra ID: a ``TokenCredential``
  (``DefaultAzureCredential`` finds ``az login``, a managed identity or a service principal's
  environment variables) whose bearer tokens the SDK asks for with the Cognitive Services scope.
  Entra ID is what production should use: no long-lived secret to leak or rotate. azure-core
  refuses to send a bearer token over plain http, so Entra ID needs an https endpoint.
* **Timeouts.** azure-core waits up to 300 s for an answer by default. An analysis that has
  not answered in 30 s is stuck: time it out and let the lab retry it.
* **Retries.** azure-core's ``RetryPolicy`` retries 3 times by default (honouring
  ``Retry-After``). The lab retries itself (analyze.py): it paces the whole run, records every
  call, and decides what is worth retrying. Two layers would multiply (4 SDK tries x 4 lab
  tries = 16 calls, each billed when admitted), so the SDK's are turned off: ``retry_total=0``.
"""

from __future__ import annotations

ENTRA_SCOPE = "https://cognitiveservices.azure.com/.default"
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 30.0


def make_client(connection, *, credential=None, read_timeout_s: float = READ_TIMEOUT_S):
    """An ``ImageAnalysisClient`` for this connection, with the SDK's retries off.

    ``connection`` has ``endpoint`` and ``api_key`` (a ``Secret``, or None for Entra ID).
    ``credential`` is the azure-identity credential to use without a key (default:
    ``DefaultAzureCredential()``).
    """
    from azure.ai.vision.imageanalysis import ImageAnalysisClient

    # BEGIN SOLUTION
    # HINT: AzureKeyCredential(connection.api_key.reveal()) or a TokenCredential; retry_total=0; timeouts.
    if connection.api_key is not None:
        from azure.core.credentials import AzureKeyCredential

        auth = AzureKeyCredential(connection.api_key.reveal())
    else:
        from azure.identity import DefaultAzureCredential

        auth = credential or DefaultAzureCredential()
    return ImageAnalysisClient(
        connection.endpoint, auth, credential_scopes=[ENTRA_SCOPE],
        connection_timeout=CONNECT_TIMEOUT_S, read_timeout=read_timeout_s)
    # END SOLUTION
