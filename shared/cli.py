"""``labkit``: the command line of the lab kit.

Start-up stays fast: this module imports only typer and the kit's light modules. TensorFlow,
the cloud SDKs and the emulators are imported inside the commands that need them.
Other parts of the kit add their commands through a ``register(app)`` function in their own
``cli`` module (listed in ``PLUGINS``), so each part owns its commands.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path

import typer

from shared.config import ConfigError, load_settings

app = typer.Typer(
    help=(
        "labkit: learn the two ways ML ships at work by building the same task twice: "
        "the Azure AI-102 way (call pre-trained services, master tokens, quotas and retries) "
        "and the Google PMLE way (train, tune, track, deploy and monitor your own model). "
        "Runs offline against local emulators by default (--target mock); set --target cloud "
        "or LABKIT_TARGET=cloud with credentials to run the same labs on the real clouds."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
mock_app = typer.Typer(help="Run the local cloud emulators.", no_args_is_help=True)
serve_app = typer.Typer(
    help="Serve one emulator in the foreground on 127.0.0.1 until Ctrl-C.", no_args_is_help=True
)
data_app = typer.Typer(help="Generate the kit's datasets.", no_args_is_help=True)
mock_app.add_typer(serve_app, name="serve")
app.add_typer(mock_app, name="mock")
app.add_typer(data_app, name="data")

TargetOption = typer.Option(
    None, "--target", help="mock (local emulators, default) or cloud. Overrides LABKIT_TARGET."
)


def fail(message: str, code: int = 2) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


@app.command("list")
def list_labs() -> None:
    """List the labs, their exam, and their status."""
    from shared.labs import LABS

    for lab in LABS:
        extra = _latest_score(lab.id)
        typer.echo(f"{lab.id:<24} {lab.exam:<7} {lab.status():<8} {extra}{lab.title}")


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a parent package is missing
        return False


def _latest_score(lab_id: str) -> str:
    """The last grade of this lab, if the grading layer is installed and has one."""
    if not _module_exists("shared.grading.scores"):
        return ""
    scores = importlib.import_module("shared.grading.scores")
    score = scores.latest_score(lab_id)
    return f"[{score}] " if score else ""


@app.command()
def demo(
    out: Path = typer.Option(Path("out/demo"), "--out", help="Folder for the demo's outputs."),
) -> None:
    """The README's main job: both pairs of labs (tickets, attachment images) on the same items and
    their side-by-side reports (mock mode)."""
    from shared.compare import demo as run_demo

    raise typer.Exit(run_demo(out))


@app.command()
def doctor(target: str = TargetOption) -> None:
    """Check that this machine is ready: Python, packages, tokenizer, target, cloud settings."""
    from shared.doctor import run_doctor

    raise typer.Exit(run_doctor(target))


@data_app.command("tickets")
def data_tickets(
    out: Path = typer.Option(..., "--out", help="Folder to write the splits and the stream to."),
    seed: int = typer.Option(0, "--seed", help="Random seed; the same seed gives the same bytes."),
    fmt: str = typer.Option("jsonl", "--format", help="jsonl or csv."),
    difficulty: str = typer.Option("standard", "--difficulty",
                                   help="standard (every figure of the labs) or hard (see shared/datasets/README.md)."),
) -> None:
    """Write the support-ticket dataset: train, validation, test and the drifting stream."""
    from shared.datasets.tickets import DIFFICULTIES, generate, write_dataset

    if fmt not in ("jsonl", "csv"):
        fail(f"unknown format {fmt!r}; use jsonl or csv.")
    if difficulty not in DIFFICULTIES:
        fail(f"unknown difficulty {difficulty!r}; use {' or '.join(DIFFICULTIES)}.")
    try:
        paths = write_dataset(generate(seed=seed, difficulty=difficulty), out, fmt=fmt)
    except OSError as exc:
        fail(f"cannot write to {out}: {exc.strerror or exc}. Choose a folder you can write to.")
    for name, (path, count) in paths.items():
        typer.echo(f"{name:<11} {count:>6} tickets  {path}")


@data_app.command("attachments")
def data_attachments(
    out: Path = typer.Option(..., "--out", help="Folder to write the splits and the stream to."),
    seed: int = typer.Option(0, "--seed", help="Random seed; the same seed gives the same bytes."),
    scale: float = typer.Option(1.0, "--scale", help="Multiply every split and stream window size (e.g. 0.1)."),
    workers: int = typer.Option(2, "--workers", help="Processes drawing images in parallel."),
) -> None:
    """Write the ticket-attachment images: train, validation, test and the drifting streams."""
    from shared.datasets.attachments import SPLIT_SIZES, WINDOW_SIZE, write_dataset

    if not 0 < scale <= 10:
        fail(f"--scale must be above 0 and at most 10, got {scale}.")
    sizes = {name: max(1, round(n * scale)) for name, n in SPLIT_SIZES.items()}
    try:
        folders = write_dataset(out, seed=seed, sizes=sizes, per_window=max(1, round(WINDOW_SIZE * scale)),
                                workers=workers)
    except OSError as exc:
        fail(f"cannot write to {out}: {exc.strerror or exc}. Choose a folder you can write to.")
    for name, (folder, count) in folders.items():
        typer.echo(f"{name:<26} {count:>6} images  {folder}")


RUN_HELP = (
    "Run a lab: labkit run LAB, then the lab's own options ('labkit run LAB --help' lists them).\n\n"
    "It runs your copy of the lab when a workspace holds it (./workspace, made by 'labkit start', or "
    "--workspace DIR), else the kit's reference solution (or with --reference); the first line "
    "says which.\n\n"
    "A run that reaches an exercise you have not done yet stops with the exercise's number, title "
    "and hint (exit code 3); results produced before that are kept."
)


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True,
                      "help_option_names": []},  # --help goes to the lab's own options
    help=RUN_HELP,
)
def run(
    ctx: typer.Context,
    lab: str = typer.Argument(None, help="e.g. azure/ticket_triage ('labkit list' shows them)"),
    workspace: Path = typer.Option(None, "--workspace", help="Run your copy in this workspace folder."),
    reference: bool = typer.Option(False, "--reference", help="Run the kit's reference solution."),
) -> None:
    from shared.labrun import CodeChoiceError, choose_code, run_lab
    from shared.labs import UnknownLab, get_lab

    if lab is None or lab.startswith("-"):
        typer.echo(ctx.get_help())
        raise typer.Exit(0 if lab in (None, "--help", "-h") else 2)
    try:
        found = get_lab(lab)
        code = choose_code(found.id, workspace, reference)
    except UnknownLab as exc:
        fail(str(exc.args[0]))
    except CodeChoiceError as exc:
        fail(str(exc))
    if found.status() != "ready":
        fail(f"lab {found.id} is not built yet (status: {found.status()}).")
    if "--help" in ctx.args or "-h" in ctx.args:
        typer.echo(f"Kit options (before the lab's): --workspace DIR (run your copy there), "
                   f"--reference (run the kit's reference). Without them: "
                   f"{code.describe(found.id)}.\n")
    raise typer.Exit(run_lab(found.id, found.package, list(ctx.args), code))


# Parts of the kit that add their own commands (module with register(app, serve_app)).
PLUGINS = [
    "mocks.azure_openai.cli",
    "mocks.azure_vision.cli",
    "mocks.vertex.cli",
    "shared.grading.cli",
    "shared.compare.cli",
]


def _register_plugins() -> None:
    for name in PLUGINS:
        if _module_exists(name):
            importlib.import_module(name).register(app, serve_app)


def main() -> None:
    _register_plugins()
    try:
        app()
    except ConfigError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        sys.exit(2)


# Keep the import so `python -m shared.cli` and tests can call load_settings through here.
__all__ = ["app", "main", "load_settings"]
