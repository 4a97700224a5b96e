"""The side-by-side: both labs of a task pair on the same items, and a report that compares them.

A pair is a name, a page title and a collect function (options -> one StackRun per stack);
``PAIRS`` lists them: ``tickets`` and ``attachments``. ``compare(pair, options)`` runs a pair and
writes its report; ``demo(out)`` is what ``labkit demo`` (the README's main command) runs: both pairs.
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
    from shared.compare.collect import run_azure, run_gcp, same_items

    return same_items([run_azure(opts), run_gcp(opts)])


def _collect_attachments(opts: CompareOptions) -> list:
    from shared.compare.attachments import collect

    return collect(opts)


PAIRS = {
    "tickets": Pair("tickets", "Ticket triage: Azure OpenAI vs a custom TensorFlow model on Vertex AI",
                    _collect_tickets, LABS),
    "attachments": Pair("attachments", "Ticket attachments: Azure AI Vision vs a custom CNN on Vertex AI",
                        _collect_attachments, {"azure": "azure/attachments", "gcp": "gcp/attachments"}),
}
# The image pair's defaults: the CNN classifies 100 test images and monitors 10 images a window. The
# Azure emulator runs a real OCR engine on every image (seconds an image), so offline the Azure side
# analyses 10 test images and no stream (attachments.azure_test_limit); when its quality is measured,
# all the test images and the first image of each window.
ATTACHMENT_DEFAULTS = {"limit": 100, "azure_limit": None, "per_window": 10, "azure_per_window": 1,
                       "train_images": 500}


def check_ready(pair: Pair) -> None:
    """A pair needs both its labs; one not in this kit yet is a clear error, not an ImportError."""
    kit = Path(__file__).resolve().parents[2]
    for lab in pair.labs.values():
        if not (kit / "labs" / lab / "run.py").is_file():
            raise CompareError(f"labkit compare {pair.name} needs the {lab} lab, which is not ready "
                               f"(no labs/{lab}/run.py in this kit).")


def compare_tickets(opts: CompareOptions, workspace: Path | None = None, reference: bool = False) -> dict[str, Path]:
    """Run both labs (the learner's copies where a workspace holds them, else the reference) and
    write the report."""
    return compare(PAIRS["tickets"], opts, workspace, reference)


def compare(pair: Pair, opts: CompareOptions, workspace: Path | None = None,
            reference: bool = False) -> dict[str, Path]:
    """Run a pair's labs on the same items and write its report to OUT/report."""
    from shared.compare.report import write_report
    from shared.labrun import use_code

    check_ready(pair)
    codes = choose_codes(workspace, reference, pair.labs)
    use_code(*codes.values())
    for stack, code in codes.items():
        print(f"{pair.labs[stack]}: running {code.describe(pair.labs[stack])}", flush=True)
    opts.yours = {stack for stack, code in codes.items() if code.kind == "workspace"}
    return write_report(pair.collect(opts), opts.out / "report", title=pair.title)


def demo(out: Path) -> int:
    """The README's main job: compare both stacks on both task pairs in mock mode, small enough for
    a laptop. The ticket pair writes to OUT, the image pair to OUT/attachments. The two pairs run
    side by side, one process each (on two cores the demo takes as long as the longer pair); each
    one's output goes to its log and is shown when it ends. A pair that fails says why and the
    other still runs."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    import typer

    jobs = {"tickets": (out, out / "demo-tickets.log"),
            "attachments": (out / "attachments", out / "attachments" / "demo.log")}
    typer.secho("Running both pairs side by side (tickets, attachments); their output: "
                + ", ".join(str(log) for _, log in jobs.values()), bold=True)
    # spawn, not fork: each pair starts its own emulators and TensorFlow in a clean process
    with ProcessPoolExecutor(len(jobs), mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = {name: pool.submit(_demo_pair, name, folder, log) for name, (folder, log) in jobs.items()}
        codes = {}
        for name, future in futures.items():
            try:
                codes[name] = future.result()
            except Exception as exc:  # a crash in the pair's process: its log says how far it got
                codes[name] = 1
                typer.secho(f"error: the {name} pair stopped: {type(exc).__name__}: {exc}", err=True)
            typer.secho(f"\n== labkit compare {name} ==", bold=True)
            log = jobs[name][1]
            typer.echo(log.read_text(encoding="utf-8", errors="replace").rstrip() if log.is_file() else "")
    for name, (folder, _) in jobs.items():
        if codes[name] == 0:
            typer.secho(f"\nReport ({name}): {(folder / 'report' / 'report.html').resolve()}", bold=True)
            typer.echo(f"        {(folder / 'report' / 'report.md').resolve()} (and the charts beside it)")
    failed = [code for code in codes.values() if code]
    return 3 if 3 in failed else (failed[0] if failed else 0)


def _demo_pair(name: str, out: Path, log: Path) -> int:
    """One pair of the demo in this (child) process, everything it prints (its labs' child
    processes too) into LOG; the exit code."""
    import os
    import sys

    import typer

    from shared.labrun import unfinished_exit

    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w", encoding="utf-8") as stream:
        sys.stdout.flush(), sys.stderr.flush()
        os.dup2(stream.fileno(), 1), os.dup2(stream.fileno(), 2)
        options = ATTACHMENT_DEFAULTS if name == "attachments" else {}
        try:
            compare(PAIRS[name], CompareOptions(out=out, **options))
        except CompareError as exc:
            typer.secho(f"error: {exc}", err=True)
            return 1
        except NotImplementedError as exc:
            code = unfinished_exit(exc)
            if code is None:
                raise
            return code
        finally:
            sys.stdout.flush(), sys.stderr.flush()
    return 0


__all__ = ["ATTACHMENT_DEFAULTS", "PAIRS", "CompareError", "CompareOptions", "Pair", "check_ready", "compare",
           "compare_tickets", "demo"]
