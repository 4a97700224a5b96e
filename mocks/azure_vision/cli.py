"""``labkit mock serve azure-vision``: the emulator in the foreground until Ctrl-C.

Imports only typer and the standard library at module level (``labkit --help`` stays fast);
the emulator is imported inside the command.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer


def register(app: typer.Typer, serve_app: typer.Typer) -> None:
    serve_app.command("azure-vision")(serve_azure_vision)


def serve_azure_vision(
    port: int = typer.Option(0, "--port", help="Port on 127.0.0.1; 0 picks a free one."),
    region: str | None = typer.Option(
        None, "--region", help="Emulated region, default eastus (caption and denseCaptions are regional)."),
    tier: str | None = typer.Option(
        None, "--tier", help="Pricing tier: F0 (20 calls/min, 5,000/month) or S1 (20 calls/s, the default)."),
    config: Path | None = typer.Option(None, "--config", help="JSON file of config keys (see the README)."),
    api_key: str | None = typer.Option(
        None, "--api-key", help="The key clients must send; default: a fresh random key."),
    record: str | None = typer.Option(
        None, "--record", help="Proxy to this real endpoint (its key from VISION_KEY) and record."),
    cassette: Path | None = typer.Option(None, "--cassette", help="Where --record writes the exchanges."),
    replay: Path | None = typer.Option(None, "--replay", help="Answer from this cassette, offline."),
) -> None:
    """Serve an emulated Azure AI Vision (Image Analysis 4.0) resource for the real SDK."""
    import os
    import sys

    from mocks._server import ServerError
    from mocks.azure_vision import record as recording
    from mocks.azure_vision.server import AzureVisionServer

    if record and not cassette:
        _fail("--record needs --cassette FILE to write the exchanges to.")
    if record and replay:
        _fail("use either --record (proxy and save) or --replay (answer from a cassette), not both.")
    try:
        settings = json.loads(config.read_text()) if config else {}
        settings.update({k: v for k, v in {"region": region, "tier": tier}.items() if v})
        passthrough = None
        if record:
            upstream_key = os.environ.get("VISION_KEY", "")
            if not upstream_key:
                _fail("--record needs the real resource's key in VISION_KEY.")
            passthrough = recording.Recorder(record, upstream_key, cassette)
        elif replay:
            passthrough = recording.Player(replay)
        server = AzureVisionServer(config=settings, port=port, api_key=api_key, passthrough=passthrough)
        server.start()
    except (OSError, ValueError, ServerError, recording.CassetteError) as exc:
        _fail(str(exc))
    mode = (f"recording {record} into {cassette}" if record else f"replaying {replay}" if replay
            else "stand-in: classical computer vision and RapidOCR, not Azure's models")
    typer.echo(f"# Azure AI Vision emulator (labkit) on 127.0.0.1, {mode}. Paste into a shell:")
    for name, value in server.env().items():
        typer.echo(f"export {name}={value}")
    typer.echo(f"# region {server.backend.config['region']}, tier {server.backend.config['tier']}")
    typer.echo(f"# control API: {server.url}/_mock/  (README: mocks/azure_vision/README.md). "
               "Ctrl-C stops.")
    sys.stdout.flush()
    server.serve_forever()


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)
