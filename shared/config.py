"""One switch between the local emulators and the real clouds, and the cloud settings.

The target comes from ``--target`` (passed in as ``target=``), else ``LABKIT_TARGET``, else
``mock``. Cloud settings use the names the clouds' own tools use and are read from the
environment first, then from a ``.env`` file in the working directory.

Secrets are held in :class:`Secret`, whose ``repr`` and ``str`` never show the value; the value
is only available through :meth:`Secret.reveal`, which code calls at the one place it hands
the key to an SDK.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

TARGETS = ("mock", "cloud")


class ConfigError(Exception):
    """A setting is missing or malformed. The message says which and how to fix it."""


class Secret:
    """A string that never prints itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Setting:
    env: str
    help: str
    secret: bool = False
    default: str | None = None


# Which settings each cloud service needs. A setting with a default is never "missing".
SERVICES: dict[str, list[Setting]] = {
    "azure_openai": [
        Setting("AZURE_OPENAI_ENDPOINT", "your resource's endpoint, e.g. https://NAME.openai.azure.com"),
        Setting("AZURE_OPENAI_DEPLOYMENT", "the deployment name you created, e.g. gpt-4o-mini"),
        Setting("OPENAI_API_VERSION", "the data-plane API version", default="2024-10-21"),
    ],
    "vision": [
        Setting("VISION_ENDPOINT", "your AI Vision resource's endpoint"),
    ],
    "vertex": [
        Setting("GOOGLE_CLOUD_PROJECT", "your project id"),
        Setting("GOOGLE_CLOUD_REGION", "the Vertex AI region", default="us-central1"),
        Setting("GOOGLE_CLOUD_STAGING_BUCKET", "a gs:// bucket for artefacts, e.g. gs://my-bucket"),
    ],
}
# Optional. Without a key, Azure OpenAI and AI Vision fall back to Entra ID through azure-identity.
OPTIONAL = [
    Setting("AZURE_OPENAI_API_KEY", "a key of the Azure OpenAI resource", secret=True),
    Setting("VISION_KEY", "a key of the AI Vision resource", secret=True),
    # Only needed when the deployment name does not tell the model (see shared/azure.py).
    Setting("AZURE_OPENAI_MODEL", "the model behind the deployment, e.g. gpt-4o-mini"),
    Setting("AZURE_OPENAI_CONTEXT_WINDOW", "the deployment's context window in tokens"),
    Setting("AZURE_OPENAI_MAX_OUTPUT_TOKENS", "the deployment's maximum output tokens"),
    Setting("AZURE_OPENAI_TPM", "the deployment's tokens-per-minute quota, for client-side pacing"),
]
ALL_SETTINGS = [s for group in SERVICES.values() for s in group] + OPTIONAL
SECRET_NAMES = {s.env for s in ALL_SETTINGS if s.secret}


def read_dotenv(path: Path) -> dict[str, str]:
    """Read KEY=VALUE lines; a malformed file is an error that names the line."""
    if not path.is_file():
        return {}
    import io

    from dotenv import dotenv_values

    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path}, line {line}: not valid UTF-8 (byte 0x{raw[exc.start]:02x}). Save the file as "
            "UTF-8 (most editors: 'Save with encoding'), or remove that line."
        ) from None
    values = {}
    for key, value in dotenv_values(stream=io.StringIO(text)).items():
        if value is None:
            raise ConfigError(
                f"{path}: the line for {key!r} has no '=VALUE'. Write it as {key}=value or remove it."
            )
        values[key] = value
    return values


def resolve_target(target: str | None = None, environ: dict[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ
    value = (target or environ.get("LABKIT_TARGET") or "mock").strip().lower()
    if value not in TARGETS:
        raise ConfigError(
            f"Unknown target {value!r}. Use --target mock (local emulators, the default) or "
            "--target cloud (real Azure / Google Cloud), or set LABKIT_TARGET to one of them."
        )
    return value


@dataclass
class Settings:
    target: str
    values: dict[str, str | Secret] = field(default_factory=dict)
    defaulted: frozenset[str] = frozenset()  # names whose value is the kit's default

    def get(self, env: str) -> str | Secret | None:
        return self.values.get(env)

    def present(self) -> list[str]:
        """Names (never values) of the cloud settings that are set, defaults left out."""
        return sorted(set(self.values) - self.defaulted)

    def missing(self, service: str) -> list[Setting]:
        return [s for s in SERVICES[service] if not self.values.get(s.env)]

    def require(self, *services: str) -> None:
        """Raise one ConfigError naming every missing setting of these services."""
        missing = [s for name in services for s in self.missing(name)]
        if missing:
            lines = "\n".join(f"  {s.env}: {s.help}" for s in missing)
            exports = "\n".join(f"  export {s.env}=..." for s in missing)
            raise ConfigError(
                f"Target 'cloud' needs settings that are not set:\n{lines}\n"
                f"Set them in your shell:\n{exports}\n"
                "or put NAME=value lines in a .env file in this folder, "
                "or run with --target mock to use the local emulators."
            )


def load_settings(
    target: str | None = None,
    environ: dict[str, str] | None = None,
    dotenv_path: Path | str = ".env",
) -> Settings:
    """Read the target and every known cloud setting (environment wins over .env)."""
    environ = dict(os.environ if environ is None else environ)
    merged = {**read_dotenv(Path(dotenv_path)), **environ}
    values: dict[str, str | Secret] = {}
    for s in ALL_SETTINGS:
        raw = merged.get(s.env) or s.default
        if raw:
            values[s.env] = Secret(raw) if s.secret else raw.strip()
    defaulted = frozenset(s.env for s in ALL_SETTINGS if s.default and not merged.get(s.env))
    settings = Settings(target=resolve_target(target, merged), values=values, defaulted=defaulted)
    _check_format(settings)
    return settings


def _check_format(settings: Settings) -> None:
    problems = []
    for env in ("AZURE_OPENAI_ENDPOINT", "VISION_ENDPOINT"):
        value = settings.values.get(env)
        if value and not str(value).startswith(("https://", "http://")):
            problems.append(f"  {env} must be a URL starting with https://, got {value!r}")
    bucket = settings.values.get("GOOGLE_CLOUD_STAGING_BUCKET")
    if bucket and not str(bucket).startswith("gs://"):
        problems.append(f"  GOOGLE_CLOUD_STAGING_BUCKET must start with gs://, got {bucket!r}")
    if problems:
        raise ConfigError("Malformed settings:\n" + "\n".join(problems))


def redact(text: str, settings: Settings | None = None) -> str:
    """Replace every secret value known to the settings (and the environment) with ***."""
    secrets = {os.environ[n] for n in SECRET_NAMES if os.environ.get(n)}
    if settings is not None:
        secrets |= {v.reveal() for v in settings.values.values() if isinstance(v, Secret)}
    for value in sorted(secrets, key=len, reverse=True):
        if len(value) >= 4:
            text = text.replace(value, "***")
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that masks secret values in every record it passes."""

    def __init__(self, settings: Settings | None = None):
        super().__init__()
        self.settings = settings

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage(), self.settings)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info), self.settings)
            record.exc_info = None
        return True
