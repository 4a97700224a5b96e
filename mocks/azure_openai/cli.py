"""``labkit mock serve azure-openai``: the emulator in the foreground until Ctrl-C.

Imports only typer and the standard library at module level (``labkit --help`` stays fast);
the emulator is imported inside the command.
"""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer, serve_app: typer.Typer) -> None:
    serve_app.command("azure-openai")(serve_azure_openai)


def serve_azure_openai(
    port: int = typer.Option(0, "--port", help="Port on 127.0.0.1; 0 picks a free one."),
    config: Path | None = typer.Option(
        None, "--config", help="JSON file: 'deployments' and config keys (see the README)."),
    api_key: str | None = typer.Option(
        None, "--api-key", help="The key clients must send; default: a fresh random key."),
    record: str | None = typer.Option(
        None, "--record", help="Proxy to this real endpoint (its key from AZURE_OPENAI_API_KEY) and record."),
    cassette: Path | None = typer.Option(None, "--cassette", help="Where --record writes the exchanges."),
    replay: Path | None = typer.Option(None, "--replay", help="Answer from this cassette, offline."),
) -> None:
    """Serve an emulated Azure OpenAI resource for the real openai SDK (stand-in model)."""
    import os

    from mocks._server import ServerError
    from mocks.azure_openai import record as recording
    from mocks.azure_openai.server import AzureOpenAIServer

    if record and not cassette:
        _fail("--record needs --cassette FILE to write the exchanges to.")
    if record and replay:
        _fail("use either --record (proxy and save) or --replay (answer from a cassette), not both.")
    try:
        passthrough = None
        if record:
            upstream_key = os.environ.get("AZURE_OPENAI_API_KEY", "")
            if not upstream_key:
                _fail("--record needs the real resource's key in AZURE_OPENAI_API_KEY.")
            passthrough = recording.Recorder(record, upstream_key, cassette)
        elif replay:
            passthrough = recording.Player(replay)
        server = AzureOpenAIServer(config=config, port=port, api_key=api_key, passthrough=passthrough)
        server.start()
    except (OSError, ValueError, ServerError, recording.CassetteError) as exc:
        _fail(str(exc))
    mode = (f"recording {record} into {cassette}" if record
            else f"replaying {replay}" if replay else "stand-in model, not a real LLM")
    typer.echo(f"# Azure OpenAI emulator (labkit) on 127.0.0.1, {mode}. Paste into a shell:")
    for name, value in server.env().items():
        typer.echo(f"export {name}={value}")
    typer.echo("# deployments (name: model, context window, max output, TPM):")
    for d in server.backend.deployments.values():
        typer.echo(f"#   {d.name}: {d.model}, {d.context_window}, {d.max_output_tokens}, "
                   f"{d.tpm or 'unlimited'}")
    typer.echo(f"# control API: {server.url}/_mock/  (README: mocks/azure_openai/README.md). "
               "Ctrl-C stops.", )
    import sys

    sys.stdout.flush()
    server.serve_forever()


def _fail(message: str) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(2)
