"""The side-by-side: both ticket-triage labs on the same tickets, and a report that compares them.

``compare_tickets(options)`` runs both labs and writes the report; ``demo(out)`` is what
``labkit demo`` (the README's main command) runs.
"""

from __future__ import annotations

from pathlib import Path

from shared.compare.collect import CompareError, CompareOptions


def compare_tickets(opts: CompareOptions, workspace: Path | None = None) -> dict[str, Path]:
    """Run both labs (the reference, or the learner's workspace copies) and write the report."""
    from shared.compare.collect import run_azure, run_gcp, same_tickets
    from shared.compare.report import write_report

    if workspace is not None:
        from shared.grading.plugin import install_lab_root

        install_lab_root(workspace)  # labs.* now import from the learner's copies
    runs = same_tickets([run_azure(opts), run_gcp(opts)])
    return write_report(runs, opts.out / "report")


def demo(out: Path) -> int:
    """The README's main job: compare both stacks in mock mode, small enough for a laptop."""
    import typer

    try:
        paths = compare_tickets(CompareOptions(out=out))
    except CompareError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        return 1
    typer.secho(f"\nReport: {paths['html'].resolve()}", bold=True)
    typer.echo(f"        {paths['markdown'].resolve()} (and the charts beside it)")
    return 0


__all__ = ["CompareError", "CompareOptions", "compare_tickets", "demo"]
