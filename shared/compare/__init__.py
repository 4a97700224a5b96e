"""The side-by-side: both labs of a task pair on the same items, and a report that compares them.

A pair is a name, a page title and a collect function (options -> one StackRun per stack);
``PAIRS`` lists them. ``compare_tickets(options)`` runs the ticket pair and writes the report;
``demo(out)`` is what ``labkit demo`` (the README's main command) runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from shared.compare.collect import CompareError, CompareOptions

LABS = {"azure": "azure/ticket_triage", "gcp": "gcp/ticket_triage"}


def choose_codes(workspace: Path | None = None, reference: bool = False, labs: dict | None = None) -> dict:
    """Per stack, whose code runs: the learner's copy when the workspace holds it, else the kit's."""
    from shared.labrun import choose_code, default_code

    labs = labs or LABS
    if workspace is None and not reference:
        return {stack: default_code(lab) for stack, lab in labs.items()}
    return {stack: choose_code(lab, workspace, reference) for stack, lab in labs.items()}


@dataclass(frozen=True)
class Pair:
    name: str  # the word after `labkit compare`
    title: str  # the report's heading
    collect: Callable[[CompareOptions], list]  # runs both labs -> [azure StackRun, gcp StackRun]
    labs: dict[str, str]  # stack -> lab, e.g. "azure": "azure/ticket_triage"


def _collect_tickets(opts: CompareOptions) -> list:
    from shared.compare.collect import run_azure, run_gcp, same_tickets

    return same_tickets([run_azure(opts), run_gcp(opts)])


PAIRS = {"tickets": Pair("tickets", "Ticket triage: Azure OpenAI vs a custom TensorFlow model on Vertex AI",
                         _collect_tickets, LABS)}


def compare_tickets(opts: CompareOptions, workspace: Path | None = None, reference: bool = False) -> dict[str, Path]:
    """Run both labs (the learner's copies where a workspace holds them, else the reference) and
    write the report."""
    return compare(PAIRS["tickets"], opts, workspace, reference)


def compare(pair: Pair, opts: CompareOptions, workspace: Path | None = None,
            reference: bool = False) -> dict[str, Path]:
    """Run a pair's labs on the same items and write its report to OUT/report."""
    from shared.compare.report import write_report
    from shared.labrun import use_code

    codes = choose_codes(workspace, reference, pair.labs)
    use_code(*codes.values())
    for stack, code in codes.items():
        print(f"{pair.labs[stack]}: running {code.describe(pair.labs[stack])}", flush=True)
    opts.yours = {stack for stack, code in codes.items() if code.kind == "workspace"}
    return write_report(pair.collect(opts), opts.out / "report", title=pair.title)


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


__all__ = ["PAIRS", "CompareError", "CompareOptions", "Pair", "compare", "compare_tickets", "demo"]
