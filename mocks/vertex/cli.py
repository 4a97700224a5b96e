"""``labkit mock serve vertex``: the Vertex AI + Cloud Storage emulator in the foreground.

Imports only typer and the standard library at module level (``labkit --help`` stays fast);
the emulator is imported inside the command.
"""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer, serve_app: typer.Typer) -> None:
    serve_app.command("vertex")(serve_vertex)


def serve_vertex(
    port: int = typer.Option(0, "--port", help="Port on 127.0.0.1; 0 picks a free one."),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="Folder for buckets and job outputs; default: a temporary one."
    ),
    state_rule: str = typer.Option(
        "immediate", "--state-rule", help="immediate, delay:<seconds> or manual (see the README)."
    ),
) -> None:
    """Serve an emulated Vertex AI (models, endpoints, jobs, monitoring) and Cloud Storage."""
    from mocks._server import ServerError
    from mocks.vertex.server import LOCATION, PROJECT, STAGING_BUCKET, VertexServer

    try:
        server = VertexServer(data_dir=data_dir, port=port)
        server.backend.set_config(state_rule=state_rule)
        server.start()
    except (OSError, ValueError, ServerError) as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from exc
    server.backend.storage.ensure_bucket(STAGING_BUCKET[5:])
    typer.echo("# Vertex AI + Cloud Storage emulator (labkit) on 127.0.0.1. Paste into a shell:")
    typer.echo(f"export STORAGE_EMULATOR_HOST={server.url}")
    typer.echo(f"export GOOGLE_CLOUD_PROJECT={PROJECT}")
    typer.echo(f"export GOOGLE_CLOUD_REGION={LOCATION}")
    typer.echo(f"export GOOGLE_CLOUD_STAGING_BUCKET={STAGING_BUCKET}")
    typer.echo("# then in Python:")
    typer.echo("#   from google.auth.credentials import AnonymousCredentials")
    typer.echo("#   from google.cloud import aiplatform")
    typer.echo(
        f'#   aiplatform.init(project="{PROJECT}", location="{LOCATION}", '
        f'staging_bucket="{STAGING_BUCKET}", api_endpoint="{server.url}", '
        'api_transport="rest", credentials=AnonymousCredentials())'
    )
    typer.echo(f"# data: {server.data_dir}   control API: {server.url}/_mock/   Ctrl-C to stop.")
    server.serve_forever()
