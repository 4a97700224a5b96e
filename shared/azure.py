"""Where the labs' Azure OpenAI calls go: one function, the same code in mock and cloud mode.

    conn = azure_openai_connection(load_settings())
    client = conn.client()                       # openai.AzureOpenAI
    client.chat.completions.create(model=conn.deployment, ...)

Mock mode starts the local emulator (``mocks.azure_openai``) and points the real SDK at it;
cloud mode reads ``AZURE_OPENAI_ENDPOINT``, ``AZURE_OPENAI_DEPLOYMENT``, ``OPENAI_API_VERSION``
and ``AZURE_OPENAI_API_KEY`` (without a key: Entra ID through azure-identity). Lab code never
asks which mode it is in; ``conn.emulated`` only labels figures.

The deployment's context window and maximum output come from the emulator in mock mode, and in
cloud mode from the optional settings ``AZURE_OPENAI_CONTEXT_WINDOW`` /
``AZURE_OPENAI_MAX_OUTPUT_TOKENS``, else from a table of known models (the model is
``AZURE_OPENAI_MODEL`` or guessed from the deployment name).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from shared.config import ConfigError, Secret, Settings

DEFAULT_LAB_DEPLOYMENT = "gpt-4o-mini"
ENTRA_SCOPE = "https://cognitiveservices.azure.com/.default"

# model -> (context window, max output tokens), as Azure documents them
KNOWN_MODELS = {
    "gpt-4o-mini": (128000, 16384),
    "gpt-4o": (128000, 16384),
    "gpt-4.1-nano": (1047576, 32768),
    "gpt-4.1-mini": (1047576, 32768),
    "gpt-4.1": (1047576, 32768),
    "gpt-4": (8192, 4096),
    "gpt-35-turbo": (16385, 4096),
    "o4-mini": (200000, 100000),
    "o3-mini": (200000, 100000),
}


@dataclass(frozen=True)
class AzureOpenAIConnection:
    endpoint: str
    api_key: Secret | None = field(repr=False)  # None: authenticate with Entra ID
    api_version: str
    deployment: str
    model: str
    context_window: int
    max_output_tokens: int
    emulated: bool

    def _auth(self) -> dict:
        if self.api_key is not None:
            return {"api_key": self.api_key.reveal()}
        from azure.identity import DefaultAzureCredential, get_bearer_token_provider

        return {"azure_ad_token_provider": get_bearer_token_provider(DefaultAzureCredential(), ENTRA_SCOPE)}

    def client(self, **kwargs):
        """A real ``openai.AzureOpenAI`` client (kwargs: max_retries, timeout, ...)."""
        from openai import AzureOpenAI

        return AzureOpenAI(azure_endpoint=self.endpoint, api_version=self.api_version,
                           **self._auth(), **kwargs)

    def async_client(self, **kwargs):
        from openai import AsyncAzureOpenAI

        return AsyncAzureOpenAI(azure_endpoint=self.endpoint, api_version=self.api_version,
                                **self._auth(), **kwargs)


def azure_openai_connection(settings: Settings) -> AzureOpenAIConnection:
    if settings.target == "mock":
        return _emulated(settings)
    return _cloud(settings)


def _emulated(settings: Settings) -> AzureOpenAIConnection:
    from mocks.azure_openai.server import local_emulator

    server = local_emulator()
    name = str(settings.get("AZURE_OPENAI_DEPLOYMENT") or DEFAULT_LAB_DEPLOYMENT)
    deployment = server.backend.deployments.get(name)
    if deployment is None:
        raise ConfigError(
            f"The local emulator has no deployment {name!r} (AZURE_OPENAI_DEPLOYMENT). It serves: "
            f"{', '.join(sorted(server.backend.deployments))}. Unset AZURE_OPENAI_DEPLOYMENT to "
            "use the default, or pick one of those."
        )
    return AzureOpenAIConnection(
        endpoint=server.url, api_key=Secret(server.api_key), api_version=server.api_version,
        deployment=name, model=deployment.model, context_window=deployment.context_window,
        max_output_tokens=deployment.max_output_tokens, emulated=True,
    )


def _cloud(settings: Settings) -> AzureOpenAIConnection:
    settings.require("azure_openai")
    deployment = str(settings.get("AZURE_OPENAI_DEPLOYMENT"))
    model = _optional(settings, "AZURE_OPENAI_MODEL") or _guess_model(deployment)
    context, output = KNOWN_MODELS.get(model, (None, None))
    context = _int_setting(settings, "AZURE_OPENAI_CONTEXT_WINDOW", context)
    output = _int_setting(settings, "AZURE_OPENAI_MAX_OUTPUT_TOKENS", output)
    if context is None or output is None:
        raise ConfigError(
            f"Cannot tell the context window of deployment {deployment!r} (model {model!r}). "
            "Set AZURE_OPENAI_MODEL to its model (e.g. gpt-4o-mini), or set "
            "AZURE_OPENAI_CONTEXT_WINDOW and AZURE_OPENAI_MAX_OUTPUT_TOKENS."
        )
    key = settings.get("AZURE_OPENAI_API_KEY")
    return AzureOpenAIConnection(
        endpoint=str(settings.get("AZURE_OPENAI_ENDPOINT")),
        api_key=key if isinstance(key, Secret) else (Secret(key) if key else None),
        api_version=str(settings.get("OPENAI_API_VERSION")), deployment=deployment, model=model,
        context_window=context, max_output_tokens=output, emulated=False,
    )


def _optional(settings: Settings, name: str) -> str | None:
    """Optional settings the config module does not list: the settings first, then the env."""
    value = settings.get(name) or os.environ.get(name)
    return str(value).strip() if value else None


def _int_setting(settings: Settings, name: str, default: int | None) -> int | None:
    raw = _optional(settings, name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number of tokens, got {raw!r}.") from None


def _guess_model(deployment: str) -> str:
    """The longest known model name the deployment name starts with ('gpt-4o-mini-prod')."""
    matches = [m for m in KNOWN_MODELS if deployment.lower().startswith(m)]
    return max(matches, key=len) if matches else deployment


# ---- Azure AI Vision (Image Analysis 4.0) ------------------------------------------------------
#
#     conn = vision_connection(load_settings())
#     client = conn.client()                 # azure.ai.vision.imageanalysis.ImageAnalysisClient
#     client.analyze(image_bytes, [VisualFeatures.READ])
#
# Mock mode starts the local emulator (``mocks.azure_vision``) and hands back its endpoint and
# key. Cloud mode reads VISION_ENDPOINT and VISION_KEY; without a key it authenticates with
# Entra ID (DefaultAzureCredential, scope ENTRA_SCOPE). azure-core refuses to send a bearer
# token over plain http (ServiceRequestError "Bearer token authentication is not permitted for
# non-TLS protected (non-https) URLs") unless each call passes enforce_https=False; the kit
# never does that for you: Entra ID is for https endpoints, and mock mode always uses the key.


@dataclass(frozen=True)
class VisionConnection:
    endpoint: str
    api_key: Secret | None = field(repr=False)  # None: authenticate with Entra ID
    emulated: bool

    def _credential(self):
        if self.api_key is not None:
            from azure.core.credentials import AzureKeyCredential

            return AzureKeyCredential(self.api_key.reveal())
        from azure.identity import DefaultAzureCredential

        return DefaultAzureCredential()

    def client(self, **kwargs):
        """A real ``ImageAnalysisClient`` (kwargs: retry_total, connection_timeout, ...)."""
        from azure.ai.vision.imageanalysis import ImageAnalysisClient

        return ImageAnalysisClient(self.endpoint, self._credential(), **kwargs)

    def async_client(self, **kwargs):
        """The ``aio`` client (with Entra ID: azure.identity.aio's credential)."""
        from azure.ai.vision.imageanalysis.aio import ImageAnalysisClient

        if self.api_key is None:
            from azure.identity.aio import DefaultAzureCredential

            return ImageAnalysisClient(self.endpoint, DefaultAzureCredential(), **kwargs)
        return ImageAnalysisClient(self.endpoint, self._credential(), **kwargs)


def vision_connection(settings: Settings) -> VisionConnection:
    if settings.target == "mock":
        from mocks.azure_vision.server import local_emulator

        server = local_emulator()
        return VisionConnection(endpoint=server.url, api_key=Secret(server.api_key), emulated=True)
    endpoint = settings.get("VISION_ENDPOINT")
    if not endpoint:
        raise ConfigError(
            "Target 'cloud' needs VISION_ENDPOINT (your AI Vision resource's endpoint, e.g. "
            "https://NAME.cognitiveservices.azure.com). Set it in your shell or a .env file, and "
            "VISION_KEY unless you sign in with Entra ID; or run with --target mock."
        )
    key = settings.get("VISION_KEY")
    return VisionConnection(endpoint=str(endpoint), emulated=False,
                            api_key=key if isinstance(key, Secret) else (Secret(key) if key else None))
