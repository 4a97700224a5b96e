"""``labkit compare tickets`` and ``labkit compare attachments``: the side-by-side reports of both
ticket-triage labs and of both attachment labs."""

from __future__ import annotations

from pathlib import Path

import typer

from shared.compare import ATTACHMENT_DEFAULTS


def register(app: typer.Typer, serve_app: typer.Typer) -> None:
    compare_app = typer.Typer(help="Run both stacks on the same task and write a side-by-side report.",
                              no_args_is_help=True)

    @compare_app.command("tickets")
    def tickets(
        target: str = typer.Option(None, "--target", help="mock (local emulators, default) or cloud."),
        limit: int = typer.Option(200, "--limit", min=1, help="Test tickets both stacks classify."),
        per_window: int = typer.Option(10, "--per-window", min=1,
                                       help="Stream tickets per window per drift scenario (8 windows x 5)."),
        out: Path = typer.Option(Path("out/compare"), "--out", help="Folder for both runs and the report."),
        tune: bool = typer.Option(False, "--tune/--no-tune", help="Also run the GCP lab's tuning (a minute more)."),
        workspace: Path = typer.Option(None, "--workspace",
                                       help="Run your copies in this workspace (default: ./workspace when it "
                                            "holds the labs; see 'labkit start')."),
        reference: bool = typer.Option(False, "--reference", help="Run the kit's reference solutions."),
        azure_cassette: Path = typer.Option(
            None, "--azure-cassette",
            help="Answer the Azure side from this cassette, recorded from a real deployment: its quality "
                 "becomes a measured result, offline and without credentials (shared/compare/README.md)."),
        azure_record: bool = typer.Option(
            False, "--azure-record",
            help="Record --azure-cassette first: the Azure lab runs against your real deployment "
                 "(AZURE_OPENAI_ENDPOINT, _API_KEY, _DEPLOYMENT) through a recording proxy."),
    ) -> None:
        """Both ticket-triage labs on the same test split and drifting stream: table, charts, HTML page."""
        from shared.compare import CompareOptions
        from shared.config import load_settings

        _check_cassette(azure_cassette, azure_record)
        settings = load_settings(target)
        opts = CompareOptions(out=out, target=settings.target, limit=limit, per_window=per_window, tune=tune,
                              azure_cassette=azure_cassette, azure_record=azure_record)
        _run("tickets", opts, workspace, reference)

    @compare_app.command("attachments")
    def attachments(
        target: str = typer.Option(None, "--target", help="mock (local emulators, default) or cloud."),
        limit: int = typer.Option(ATTACHMENT_DEFAULTS["limit"], "--limit", min=1,
                                  help="Test images the CNN classifies."),
        azure_limit: int = typer.Option(ATTACHMENT_DEFAULTS["azure_limit"], "--azure-limit", min=1,
                                        help="Of those, the first N the Azure lab analyses (default: 10 offline, "
                                             "where OCR is slow; all with --target cloud or --azure-cassette)."),
        per_window: int = typer.Option(ATTACHMENT_DEFAULTS["per_window"], "--per-window", min=1,
                                       help="Stream images per window per drift scenario (8 windows x 5), all "
                                            "monitored by the GCP lab."),
        azure_per_window: int = typer.Option(ATTACHMENT_DEFAULTS["azure_per_window"], "--azure-per-window", min=1,
                                             help="Of those, the first N the Azure lab classifies, when its quality "
                                                  "is measured (--target cloud or --azure-cassette); offline it "
                                                  "analyses no stream image."),
        train_images: int = typer.Option(ATTACHMENT_DEFAULTS["train_images"], "--train-images", min=30,
                                         help="Images the GCP lab trains on (it splits them 80/10/10)."),
        out: Path = typer.Option(Path("out/compare-attachments"), "--out",
                                 help="Folder for the images, both runs and the report."),
        workspace: Path = typer.Option(None, "--workspace",
                                       help="Run your copies in this workspace (default: ./workspace when it "
                                            "holds the labs; see 'labkit start')."),
        reference: bool = typer.Option(False, "--reference", help="Run the kit's reference solutions."),
        azure_cassette: Path = typer.Option(
            None, "--azure-cassette",
            help="Answer the Azure side from this cassette, recorded from a real Azure AI Vision resource: its "
                 "type and field figures become measured results, offline and without credentials "
                 "(shared/compare/README.md)."),
        azure_record: bool = typer.Option(
            False, "--azure-record",
            help="Record --azure-cassette first: the Azure lab runs against your real resource (VISION_ENDPOINT, "
                 "VISION_KEY) through a recording proxy."),
    ) -> None:
        """Both attachment labs on the same images (written once under OUT/data): table, charts, HTML page."""
        from shared.compare import CompareOptions
        from shared.config import load_settings

        _check_cassette(azure_cassette, azure_record)
        opts = CompareOptions(out=out, target=load_settings(target).target, limit=limit, per_window=per_window,
                              azure_per_window=min(azure_per_window, per_window), train_images=train_images,
                              azure_limit=min(azure_limit, limit) if azure_limit else None,
                              azure_cassette=azure_cassette, azure_record=azure_record)
        _run("attachments", opts, workspace, reference)

    app.add_typer(compare_app, name="compare")


def _check_cassette(cassette: Path | None, record: bool) -> None:
    if record and cassette is None:
        typer.secho("error: --azure-record needs --azure-cassette FILE to record into.", err=True, fg="red")
        raise typer.Exit(2)
    if cassette is not None and not record and not cassette.is_file():
        typer.secho(f"error: no cassette at {cassette}; record one with --azure-record "
                    "(see shared/compare/README.md).", err=True, fg="red")
        raise typer.Exit(2)


def _run(pair: str, opts, workspace: Path | None, reference: bool) -> None:
    """Run one pair and print where its report is; errors are messages with an exit code."""
    from shared.compare import PAIRS, CompareError, compare
    from shared.labrun import CodeChoiceError, unfinished_exit

    try:
        paths = compare(PAIRS[pair], opts, workspace, reference)
    except (CompareError, CodeChoiceError) as exc:
        typer.secho(f"error: {exc}", err=True, fg="red")
        raise typer.Exit(1 if isinstance(exc, CompareError) else 2) from None
    except NotImplementedError as exc:
        code = unfinished_exit(exc)
        if code is None:
            raise
        raise typer.Exit(code) from None
    typer.secho(f"\nReport: {paths['html'].resolve()}", bold=True)
    typer.echo(f"        {paths['markdown'].resolve()} (and the charts beside it)")
