"""The Azure side from a replay cassette: real answers of a real deployment, no credentials needed.

A cassette is the Azure OpenAI emulator's record/replay file (``mocks/azure_openai/record.py``):
one JSON line per exchange, keys stripped. An instructor records one once against a real
deployment (``labkit compare tickets --azure-record --azure-cassette FILE``) and shares the file;
anyone then runs ``labkit compare tickets --azure-cassette FILE`` offline, and the Azure lab's
requests are answered by what the deployment answered. The label comes from the cassette itself:
the deployment from the recorded paths, the date from the answers' ``created`` times, and whether
the answers came from labkit's own emulator (its ``system_fingerprint`` is ``fp_labkit``).
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


def read_info(path: Path) -> CassetteInfo:
    """What the cassette says about where and when it was recorded."""
    try:
        exchanges = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, ValueError) as exc:
        raise CassetteProblem(f"Cannot read the cassette {path}: {exc}.") from None
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
