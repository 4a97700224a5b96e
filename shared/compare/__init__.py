"""The side-by-side: both ticket-triage labs on the same tickets, and a report that compares them.

``compare_tickets(options)`` runs both labs and writes the report; ``demo(out)`` is what
``labkit demo`` (the README's main command) runs.
"""

from __future__ import annotations

from pathlib import Path

from shared.compare.collect import CompareError, CompareOptions

LABS = {"azure": "azure/ticket_triage", "gcp": "gcp/ticket_triage"}


def choose_codes(workspace: Path | None = None, reference: bool = False) -> dict:
    """Per stack, whose code runs: the learner's copy when the workspace holds it, else the kit's."""
    from shared.labrun import choose_code, default_code

    if workspace is None and not reference:
        return {stack: default_code(lab) for stack, lab in LABS.items()}
    return {stack: choose_code(lab, workspace, reference) for stack, lab in LABS.items()}


def compare_tickets(opts: CompareOptions, workspace: Path | None = None, reference: bool = False) -> dict[str, Path]:
    """Run both labs (the learner's copies where a workspace holds them, else the reference) and
    write the report."""
    from shared.compare.collect import run_azure, run_gcp, same_tickets
    from shared.compare.report import write_report
    from shared.labrun import use_code

    codes = choose_codes(workspace, reference)
    use_code(*codes.values())
    for stack, code in codes.items():
        print(f"{LABS[stack]}: running {code.describe(LABS[stack])}", flush=True)
    opts.yours = {stack for stack, code in codes.items() if code.kind == "workspace"}
    runs = same_tickets([run_azure(opts), run_gcp(opts)])
    return write_report(runs, opts.out / "report")


def demo(out: Path) -> int:
    """The README's main job: compare both stacks in mock mode, small enough for a laptop."""
    import typer

    from shared.labrun import unfinished_exit

    try:
        paths = compare_tickets(CompareOptions(out=out))
    except CompareError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        return 1
    except NotImplementedError as exc:
        code = unfinished_exit(exc)
        if code is None:
            raise
        return code
    typer.secho(f"\nReport: {paths['html'].resolve()}", bold=True)
    typer.echo(f"        {paths['markdown'].resolve()} (and the charts beside it)")
    return 0


__all__ = ["CompareError", "CompareOptions", "compare_tickets", "demo"]
