"""The Azure side from a replay cassette: real answers of a real deployment, no credentials needed.

A cassette is the Azure OpenAI emulator's record/replay file (``mocks/azure_openai/record.py``):
one JSON line per exchange, keys stripped. An instructor records one once against a real
deployment (``labkit compare tickets --azure-record --azure-cassette FILE``) and shares the file;
anyone then runs ``labkit compare tickets --azure-cassette FILE`` offline, and the Azure lab's
requests are answered by what the deployment answered. The label comes from the cassette itself:
the deployment from the recorded paths, the date from the answers' ``created`` times, and whether
the answers came from labkit's own emulator (its ``system_fingerprint`` is ``fp_labkit``).

The image pair's Azure side has the same, from the Vision emulator's cassettes
(``mocks/azure_vision/record.py``): ``labkit compare attachments --azure-record --azure-cassette FILE``
records against a real Azure AI Vision resource, ``--azure-cassette FILE`` replays. Its label comes
from each exchange's ``upstream`` (the endpoint's host) and ``recorded_at``; only an Azure host
makes the Vision answers a measured result (a recording of labkit's emulator says so).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

EMULATOR_FINGERPRINT = "fp_labkit"
AZURE_VISION_HOSTS = (".cognitiveservices.azure.com", ".api.cognitive.microsoft.com")


class CassetteProblem(ValueError):
    """The cassette cannot feed the Azure side; the message says why and what to do."""


@dataclass(frozen=True)
class CassetteInfo:
    path: Path
    deployment: str
    api_version: str
    model: str  # as the service names it, e.g. gpt-4o-mini-2024-07-18
    recorded_on: str  # UTC date of the first answer
    exchanges: int
    from_emulator: bool  # every answer carries labkit's emulator fingerprint

    @property
    def label(self) -> str:
        where = f"{self.deployment} on labkit's emulator (stand-in model)" if self.from_emulator else self.deployment
        return f"recorded from {where}, {self.recorded_on}"


def read_exchanges(path: Path) -> list[dict]:
    """The recorded exchanges of a cassette (one JSON object a line)."""
    try:
        return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, ValueError) as exc:
        raise CassetteProblem(f"Cannot read the cassette {path}: {exc}.") from None


def read_info(path: Path) -> CassetteInfo:
    """What the cassette says about where and when it was recorded."""
    exchanges = read_exchanges(path)
    chats = [e for e in exchanges if e.get("status") == 200 and "/chat/completions" in e.get("path", "")]
    if not chats:
        raise CassetteProblem(f"The cassette {path} holds no answered chat completion: record it again "
                              "(labkit compare tickets --azure-record --azure-cassette FILE).")
    bodies = [json.loads(e["body"]) for e in chats]
    match = re.search(r"/openai/deployments/([^/]+)/", chats[0]["path"])
    created = min(b.get("created", 0) for b in bodies)
    return CassetteInfo(
        path=Path(path), deployment=match.group(1) if match else bodies[0].get("model", "unknown"),
        api_version=chats[0].get("api_version") or "", model=bodies[0].get("model", "unknown"),
        recorded_on=dt.datetime.fromtimestamp(created, dt.UTC).date().isoformat(), exchanges=len(exchanges),
        from_emulator=all(b.get("system_fingerprint") == EMULATOR_FINGERPRINT for b in bodies))


def base_model(model: str) -> str:
    """gpt-4o-mini-2024-07-18 -> gpt-4o-mini: prices and context windows are per model, not version."""
    return re.sub(r"-\d{4}-\d{2}-\d{2}$", "", model)


@contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    """The Azure lab reads its settings from the environment: point it at the proxy, then restore."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextmanager
def azure_through_cassette(cassette: Path, record: bool) -> Iterator[dict]:
    """Run the Azure lab (target cloud) through a local proxy that replays the cassette, or, with
    ``record``, forwards to the real deployment in AZURE_OPENAI_* and writes the cassette.

    Yields what the run is: {"deployment", "model", "recorded": True when this run recorded}.
    """
    from mocks.azure_openai.record import Player, Recorder
    from mocks.azure_openai.server import AzureOpenAIServer
    from shared.azure import DEFAULT_LAB_DEPLOYMENT, KNOWN_MODELS
    from shared.config import load_settings

    if record:
        settings = load_settings("cloud")
        key = settings.get("AZURE_OPENAI_API_KEY")
        if not settings.get("AZURE_OPENAI_ENDPOINT") or not key:
            raise CassetteProblem("--azure-record needs AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_API_KEY of the "
                                  "real resource (a key: the recording proxy cannot use Entra ID).")
        if Path(cassette).exists() and Path(cassette).stat().st_size:
            raise CassetteProblem(f"{cassette} already holds a recording: choose a new file to record into.")
        passthrough = Recorder(str(settings.get("AZURE_OPENAI_ENDPOINT")), key.reveal(), cassette)
        deployment = str(settings.get("AZURE_OPENAI_DEPLOYMENT") or DEFAULT_LAB_DEPLOYMENT)
        model = str(settings.get("AZURE_OPENAI_MODEL") or "")
        api_version = str(settings.get("OPENAI_API_VERSION"))
    else:
        info = read_info(cassette)
        passthrough = Player(cassette)
        deployment, api_version = info.deployment, info.api_version
        model = base_model(info.model) if base_model(info.model) in KNOWN_MODELS else ""
    with AzureOpenAIServer(passthrough=passthrough) as proxy:
        env = {"AZURE_OPENAI_ENDPOINT": proxy.url, "AZURE_OPENAI_API_KEY": proxy.api_key,
               "AZURE_OPENAI_DEPLOYMENT": deployment, "OPENAI_API_VERSION": api_version}
        if model:
            env["AZURE_OPENAI_MODEL"] = model
        with _environ(env):
            yield {"deployment": deployment, "recorded": record}


# ---- the image pair: Azure AI Vision cassettes ------------------------------------------------

@dataclass(frozen=True)
class VisionCassetteInfo:
    path: Path
    upstream: str  # the endpoint's host the answers came from ("" when the cassette does not say)
    recorded_on: str  # UTC date of the first exchange, or "date not recorded"
    model_version: str  # as the service names it in its answers, e.g. 2023-10-01
    exchanges: int

    @property
    def from_emulator(self) -> bool:
        """Not answered by an Azure AI Vision resource: its figures are not Azure's."""
        return not self.upstream.lower().split(":")[0].endswith(AZURE_VISION_HOSTS)

    @property
    def label(self) -> str:
        host = self.upstream.split(":")[0]
        if not self.upstream:
            where = "an endpoint the cassette does not name (not counted as Azure)"
        elif host in ("127.0.0.1", "localhost", "::1"):
            where = f"labkit's Vision emulator at {self.upstream} (stand-in models)"
        elif self.from_emulator:
            where = f"{self.upstream}, not an Azure AI Vision endpoint"
        else:
            where = f"Azure AI Vision {host.split('.')[0]} (model {self.model_version})"
        return f"recorded from {where}, {self.recorded_on}"


def read_vision_info(path: Path) -> VisionCassetteInfo:
    """What a Vision cassette says about where and when it was recorded."""
    exchanges = read_exchanges(path)
    answered = [e for e in exchanges if e.get("status") == 200 and ":analyze" in e.get("path", "")]
    if not answered:
        raise CassetteProblem(f"The cassette {path} holds no answered image analysis: record it again "
                              "(labkit compare attachments --azure-record --azure-cassette FILE).")
    hosts = {e.get("upstream", "") for e in exchanges}
    if len(hosts) > 1:
        raise CassetteProblem(f"The cassette {path} mixes answers from {', '.join(sorted(hosts))}: record one "
                              "endpoint per cassette.")
    times = sorted(e["recorded_at"] for e in exchanges if e.get("recorded_at"))
    return VisionCassetteInfo(
        path=Path(path), upstream=hosts.pop(), exchanges=len(exchanges),
        recorded_on=times[0][:10] if times else "date not recorded",
        model_version=json.loads(answered[0]["body"]).get("modelVersion", "unknown"))


@contextmanager
def vision_through_cassette(cassette: Path, record: bool) -> Iterator[None]:
    """Run the Azure attachments lab (target cloud) through a local Vision proxy that replays the
    cassette, or, with ``record``, forwards to the real resource in VISION_ENDPOINT / VISION_KEY and
    writes the cassette."""
    from mocks.azure_vision.record import Player, Recorder
    from mocks.azure_vision.server import AzureVisionServer
    from shared.config import load_settings

    if record:
        settings = load_settings("cloud")
        endpoint, key = settings.get("VISION_ENDPOINT"), settings.get("VISION_KEY")
        if not endpoint or not key:
            raise CassetteProblem("--azure-record needs VISION_ENDPOINT and VISION_KEY of the real Azure AI Vision "
                                  "resource (a key: the recording proxy cannot use Entra ID).")
        if Path(cassette).exists() and Path(cassette).stat().st_size:
            raise CassetteProblem(f"{cassette} already holds a recording: choose a new file to record into.")
        passthrough = Recorder(str(endpoint), key.reveal() if hasattr(key, "reveal") else str(key), cassette)
    else:
        read_vision_info(cassette)  # a cassette that cannot be labelled is refused before anything runs
        passthrough = Player(cassette)
    with AzureVisionServer(passthrough=passthrough) as proxy:
        with _environ({"VISION_ENDPOINT": proxy.url, "VISION_KEY": proxy.api_key}):
            yield
