"""The mock/cloud switch, cloud settings, and secrets that never show."""

import logging

import pytest

from shared.config import ConfigError, RedactingFilter, Secret, load_settings, resolve_target

KEY = "sk-very-secret-0123456789abcdef"
AZURE = {"AZURE_OPENAI_ENDPOINT": "https://res.openai.azure.com", "AZURE_OPENAI_DEPLOYMENT": "gpt-4o-mini"}


def test_target_defaults_to_mock(tmp_path):
    assert load_settings(environ={}, dotenv_path=tmp_path / ".env").target == "mock"


def test_flag_overrides_environment(tmp_path):
    settings = load_settings("cloud", environ={"LABKIT_TARGET": "mock"}, dotenv_path=tmp_path / "none")
    assert settings.target == "cloud"


def test_unknown_target_is_a_clear_error():
    with pytest.raises(ConfigError, match="--target mock"):
        resolve_target("azure", {})


def test_cloud_config_names_every_missing_variable(tmp_path):
    settings = load_settings("cloud", environ={}, dotenv_path=tmp_path / "none")
    with pytest.raises(ConfigError) as err:
        settings.require("azure_openai", "vertex")
    message = str(err.value)
    for name in ("AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_DEPLOYMENT", "GOOGLE_CLOUD_PROJECT",
                 "GOOGLE_CLOUD_STAGING_BUCKET"):
        assert name in message and f"export {name}=" in message
    # defaults are never reported missing
    assert "OPENAI_API_VERSION" not in message and "GOOGLE_CLOUD_REGION" not in message


def test_keys_are_optional_so_entra_id_can_sign_in(tmp_path):
    environ = {"VISION_ENDPOINT": "https://x.cognitiveservices.azure.com", **AZURE}
    environ.pop("AZURE_OPENAI_API_KEY", None)
    settings = load_settings("cloud", environ=environ, dotenv_path=tmp_path / "none")
    settings.require("azure_openai", "vision")  # no key asked for: azure-identity signs in
    with_key = load_settings("cloud", environ={**environ, "VISION_KEY": "k-123"}, dotenv_path=tmp_path / "none")
    assert "k-123" not in repr(with_key.get("VISION_KEY"))


def test_complete_cloud_config_passes(tmp_path):
    settings = load_settings("cloud", environ=dict(AZURE), dotenv_path=tmp_path / "none")
    settings.require("azure_openai")
    assert settings.get("OPENAI_API_VERSION")  # the documented default


def test_dotenv_is_read_and_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("AZURE_OPENAI_DEPLOYMENT=from-file\nGOOGLE_CLOUD_PROJECT=proj-file\n")
    settings = load_settings(environ={"AZURE_OPENAI_DEPLOYMENT": "from-env"}, dotenv_path=env_file)
    assert settings.get("AZURE_OPENAI_DEPLOYMENT") == "from-env"
    assert settings.get("GOOGLE_CLOUD_PROJECT") == "proj-file"


def test_malformed_dotenv_line_is_named(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("AZURE_OPENAI_ENDPOINT\n")
    with pytest.raises(ConfigError, match="AZURE_OPENAI_ENDPOINT"):
        load_settings(environ={}, dotenv_path=env_file)


def test_malformed_endpoint_and_bucket_are_reported(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_settings(environ={"AZURE_OPENAI_ENDPOINT": "res.openai.azure.com",
                               "GOOGLE_CLOUD_STAGING_BUCKET": "my-bucket"}, dotenv_path=tmp_path / "x")
    assert "https://" in str(err.value) and "gs://" in str(err.value)


def test_present_lists_names_only_and_not_defaults(tmp_path):
    settings = load_settings(environ={"AZURE_OPENAI_API_KEY": KEY}, dotenv_path=tmp_path / "x")
    assert settings.present() == ["AZURE_OPENAI_API_KEY"]


def test_secret_never_shows_in_repr_or_str(tmp_path):
    settings = load_settings(environ={"AZURE_OPENAI_API_KEY": KEY, **AZURE}, dotenv_path=tmp_path / "x")
    key = settings.get("AZURE_OPENAI_API_KEY")
    assert isinstance(key, Secret) and key.reveal() == KEY
    for text in (repr(settings), str(settings), repr(key), str(key), f"{key}", repr(settings.values)):
        assert KEY not in text


def test_secret_never_shows_in_a_logged_error(tmp_path, caplog, monkeypatch):
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", KEY)
    settings = load_settings(dotenv_path=tmp_path / "x")
    logger = logging.getLogger("labkit.test")
    handler_filter = RedactingFilter(settings)
    caplog.handler.addFilter(handler_filter)
    try:
        raise RuntimeError(f"request failed with api-key {KEY}")
    except RuntimeError:
        logger.exception("call to %s failed, key=%s", "https://x", KEY)
    assert caplog.records, "the error was logged"
    assert KEY not in caplog.text
    assert "***" in caplog.text
