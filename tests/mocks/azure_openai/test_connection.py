"""shared/azure.py: the one call lab code makes, in mock and in cloud mode."""

from __future__ import annotations

import openai
import pytest

from shared.azure import AzureOpenAIConnection, azure_openai_connection
from shared.config import ConfigError, Secret, load_settings


def test_mock_mode_gives_a_working_client_on_the_shared_emulator(azure_openai, tmp_path):
    conn = azure_openai_connection(load_settings(environ={}, dotenv_path=tmp_path / ".env"))
    assert conn.emulated and conn.endpoint == azure_openai.url
    assert (conn.deployment, conn.model, conn.context_window, conn.max_output_tokens) == (
        "gpt-4o-mini", "gpt-4o-mini", 128000, 16384)
    r = conn.client().chat.completions.create(model=conn.deployment,
                                              messages=[{"role": "user", "content": "hi"}])
    assert r.choices[0].message.content
    assert azure_openai.control.usage(conn.deployment)["requests"] == 1


def test_mock_mode_uses_the_named_deployment_or_says_which_exist(azure_openai, tmp_path):
    env = tmp_path / ".env"
    conn = azure_openai_connection(load_settings(environ={"AZURE_OPENAI_DEPLOYMENT": "gpt-4o-mini-8k"},
                                                 dotenv_path=env))
    assert conn.context_window == 8192 and conn.max_output_tokens == 1024
    with pytest.raises(ConfigError, match="gpt-4o-mini-8k"):
        azure_openai_connection(load_settings(environ={"AZURE_OPENAI_DEPLOYMENT": "nope"}, dotenv_path=env))


def test_cloud_mode_without_settings_names_them(tmp_path):
    with pytest.raises(ConfigError) as exc:
        azure_openai_connection(load_settings("cloud", environ={}, dotenv_path=tmp_path / ".env"))
    assert "AZURE_OPENAI_ENDPOINT" in str(exc.value) and "AZURE_OPENAI_DEPLOYMENT" in str(exc.value)


def test_cloud_mode_reads_the_settings_and_works_against_any_endpoint(azure_openai, tmp_path):
    environ = {"AZURE_OPENAI_ENDPOINT": azure_openai.url, "AZURE_OPENAI_API_KEY": azure_openai.api_key,
               "AZURE_OPENAI_DEPLOYMENT": "gpt-4o-mini-8k"}
    conn = azure_openai_connection(load_settings("cloud", environ=environ, dotenv_path=tmp_path / ".env"))
    assert not conn.emulated and conn.model == "gpt-4o-mini" and conn.context_window == 128000
    assert conn.api_version == "2024-10-21"
    conn.client(max_retries=0).chat.completions.create(
        model=conn.deployment, messages=[{"role": "user", "content": "hi"}])
    environ["AZURE_OPENAI_API_KEY"] = "wrong"
    bad = azure_openai_connection(load_settings("cloud", environ=environ, dotenv_path=tmp_path / ".env"))
    with pytest.raises(openai.AuthenticationError):
        bad.client(max_retries=0).chat.completions.create(
            model=bad.deployment, messages=[{"role": "user", "content": "hi"}])


def test_cloud_mode_limits_from_optional_settings_or_a_clear_error(tmp_path, monkeypatch):
    environ = {"AZURE_OPENAI_ENDPOINT": "https://x.openai.azure.com", "AZURE_OPENAI_DEPLOYMENT": "prod-chat"}
    settings = load_settings("cloud", environ=environ, dotenv_path=tmp_path / ".env")
    with pytest.raises(ConfigError, match="AZURE_OPENAI_CONTEXT_WINDOW"):
        azure_openai_connection(settings)
    monkeypatch.setenv("AZURE_OPENAI_CONTEXT_WINDOW", "32000")
    monkeypatch.setenv("AZURE_OPENAI_MAX_OUTPUT_TOKENS", "4000")
    conn = azure_openai_connection(settings)
    assert (conn.context_window, conn.max_output_tokens) == (32000, 4000)
    assert conn.api_key is None  # no key: Entra ID through azure-identity


def test_repr_never_shows_the_key():
    conn = AzureOpenAIConnection("https://x", Secret("sk-very-secret"), "2024-10-21", "d", "gpt-4o-mini",
                                 128000, 16384, False)
    assert "sk-very-secret" not in repr(conn) and "sk-very-secret" not in str(conn)
