"""Graded: the client (client.py) and the features asked for (features.py).

Mutants in tests/mutants/azure/attachments/ that these tests catch:
  client__sdk_retries_on.py       keeps azure-core's retries (they multiply with the lab's)
  client__key_only.py             cannot authenticate without a key (no Entra ID)
  client__no_read_timeout.py      ignores read_timeout_s (a stuck call waits 300 s)
  features__everything.py         asks for every feature (each one is billed)
  features__unknown_ignored.py    silently drops an unknown use
"""

from __future__ import annotations

import dataclasses
import time

import pytest
from azure.ai.vision.imageanalysis.models import VisualFeatures as F
from azure.core.exceptions import HttpResponseError, ServiceResponseError
from azure_attachments_images import png


@pytest.mark.exercise(1)
@pytest.mark.points(1)
def test_the_sdk_does_not_retry_on_its_own(lab, connection, azure_vision):
    client = lab("client").make_client(connection)
    azure_vision.control.script({"error": "rate_limit", "headers": {"Retry-After": "0.01"}})
    with pytest.raises(HttpResponseError) as raised:
        client.analyze(png(), [F.TAGS])
    assert raised.value.status_code == 429
    calls = len(azure_vision.control.requests())
    assert calls == 1, (f"one 429 became {calls} calls: turn azure-core's retries off (retry_total=0); the "
                        "lab retries itself, and two layers multiply.")


@pytest.mark.exercise(1)
@pytest.mark.points(1)
def test_a_stuck_call_times_out(lab, connection, azure_vision):
    client = lab("client").make_client(connection, read_timeout_s=1.0)
    azure_vision.control.script({"delay_s": 4})
    started = time.monotonic()
    with pytest.raises(ServiceResponseError):
        client.analyze(png(), [F.TAGS])
    assert time.monotonic() - started < 3.5, "pass read_timeout_s to the client (read_timeout=...)."


class FakeCredential:
    """A stand-in azure-identity credential: returns a fixed token (the emulator accepts its key)."""

    def __init__(self, token):
        self.token, self.scopes = token, []

    def get_token(self, *scopes, **kwargs):
        from azure.core.credentials import AccessToken

        self.scopes.extend(scopes)
        return AccessToken(self.token, int(time.time()) + 3600)

    def get_token_info(self, *scopes, options=None):
        from azure.core.credentials import AccessTokenInfo

        self.scopes.extend(scopes)
        return AccessTokenInfo(self.token, int(time.time()) + 3600)


@pytest.mark.exercise(1)
@pytest.mark.points(1)
def test_without_a_key_the_client_uses_entra_id(lab, connection, azure_vision):
    keyless = dataclasses.replace(connection, api_key=None)
    credential = FakeCredential(azure_vision.api_key)
    client = lab("client").make_client(keyless, credential=credential)
    # The emulator is plain http: azure-core sends a bearer token there only when told to.
    result = client.analyze(png(), [F.TAGS], enforce_https=False)
    assert result.metadata.width == 64, "the call with an Entra ID token should succeed."
    assert credential.scopes and set(credential.scopes) == {"https://cognitiveservices.azure.com/.default"}, (
        f"tokens were asked for scopes {credential.scopes}; use the Cognitive Services scope.")


@pytest.mark.exercise(2)
@pytest.mark.points(1)
def test_features_are_only_those_the_uses_need(lab):
    choose = lab("features").choose_features
    assert choose(["fields"]) == [F.READ], "text fields need only read"
    assert choose(["fields", "type"]) == [F.TAGS, F.READ], (
        "fields and type need read and tags, each once, in VisualFeatures' order")
    assert choose(["type", "caption", "fields"]) == [F.TAGS, F.CAPTION, F.READ]
    assert choose(["crop", "people"]) == [F.SMART_CROPS, F.PEOPLE]


@pytest.mark.exercise(2)
@pytest.mark.points(1)
def test_no_use_or_an_unknown_use_is_an_error(lab):
    features = lab("features")
    with pytest.raises(ValueError):
        features.choose_features([])
    with pytest.raises(ValueError, match="fields"):
        features.choose_features(["fields", "ocr"])
