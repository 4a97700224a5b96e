"""Graded: client set-up and secrets (client.py, run.py).

Mutants in tests/mutants/azure/ticket_triage/ that these tests catch:
  client__sdk_retries_on.py   keeps the SDK's own retries (they multiply with the lab's)
  client__key_only.py         cannot authenticate without a key (no Entra ID)
  run__prints_key.py          prints the key while connecting
"""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest


@pytest.mark.exercise(6)
@pytest.mark.points(1)
def test_client_has_explicit_timeouts_and_no_sdk_retries(lab, connection):
    client = lab("client").make_client(connection)
    assert client.max_retries == 0, (
        f"max_retries is {client.max_retries}: turn the SDK's retries off (max_retries=0); the "
        "lab retries itself, and two layers multiply.")
    timeout = client.timeout
    read = getattr(timeout, "read", timeout)
    assert read is not None and read <= 120, f"set an explicit timeout (the SDK default waits 600 s); got {timeout}."


class FakeCredential:
    """A stand-in azure-identity credential: returns a fixed token (the emulator's key)."""

    def __init__(self, token):
        self.token, self.scopes = token, []

    def get_token(self, *scopes, **kwargs):
        from azure.core.credentials import AccessToken

        self.scopes.extend(scopes)
        return AccessToken(self.token, int(time.time()) + 3600)


@pytest.mark.exercise(6)
@pytest.mark.points(1)
def test_without_a_key_the_client_uses_entra_id(lab, connection, azure_openai):
    keyless = dataclasses.replace(connection, api_key=None)
    credential = FakeCredential(azure_openai.api_key)
    client = lab("client").make_client(keyless, credential=credential)

    async def call():
        async with client:
            return await client.chat.completions.create(
                model=connection.deployment, messages=[{"role": "user", "content": "hi"}], max_tokens=5)

    assert asyncio.run(call()).choices, "the call with an Entra ID token should succeed."
    assert credential.scopes == ["https://cognitiveservices.azure.com/.default"], (
        f"tokens were asked for scopes {credential.scopes}; use get_bearer_token_provider("
        "credential, 'https://cognitiveservices.azure.com/.default').")


@pytest.mark.exercise(6)
@pytest.mark.points(2)
def test_the_key_never_appears_in_output_or_mlflow(lab, azure_openai, monkeypatch, tmp_path, capsys):
    run = lab("run")
    monkeypatch.chdir(tmp_path)
    for name, value in azure_openai.env("gpt-4o-mini").items():
        monkeypatch.setenv(name, value)
    key = azure_openai.api_key
    assert run.main(["--target", "cloud", "--limit", "3", "--out", str(tmp_path / "ok")]) == 0
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "sk-wrong-" + key[::-1])
    code = run.main(["--target", "cloud", "--limit", "3", "--out", str(tmp_path / "bad"), "--no-mlflow"])
    printed = capsys.readouterr()
    assert code != 0 and "error" in printed.err.lower(), "a refused key must end the run with a clear error."
    for secret in (key, "sk-wrong-" + key[::-1]):
        assert secret not in printed.out + printed.err, "a key appeared in the output: never print or log keys."
    import mlflow  # here, not at the top: grading one exercise collects every test module

    runs = mlflow.search_runs(search_all_experiments=True, output_format="list")
    logged = " ".join(str(r.data.params) + str(r.data.tags) for r in runs)
    assert runs and key not in logged, "the key appeared in MLflow params or tags."
