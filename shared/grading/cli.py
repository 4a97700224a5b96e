"""``labkit start``, ``labkit grade`` and ``labkit release``.

Only typer and the standard library are imported here; the grading modules are imported inside
the commands so ``labkit --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path

import typer

KIT_ROOT = Path(__file__).resolve().parents[2]  # the instructor's copy (tests, reference)


def _fail(message: str, code: int = 2) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _lab_id(lab: str) -> str:
    from shared.labs import UnknownLab, get_lab

    if (KIT_ROOT / "labs" / lab.strip("/")).is_dir():
        return lab.strip("/")
    try:
        return get_lab(lab).id
    except UnknownLab as exc:
        _fail(str(exc.args[0]))


def _workspace(workspace: Path | None) -> Path:
    from shared.grading.scores import default_workspace

    return workspace or default_workspace()


WorkspaceOption = typer.Option(
    None, "--workspace", help="Your workspace folder (default ./workspace, or LABKIT_WORKSPACE)."
)


def start(
    lab: str = typer.Argument(..., help="e.g. azure/ticket_triage ('labkit list' shows them)"),
    workspace: Path = WorkspaceOption,
) -> None:
    """Copy a lab's starter code into your workspace (never overwrites your work)."""
    from shared.grading.workspace import WorkInProgress, start_lab

    lab_id = _lab_id(lab)
    if not (KIT_ROOT / "labs" / lab_id).is_dir():
        _fail(f"lab {lab_id} has no code yet; see 'labkit list'.")
    try:
        folder, created = start_lab(lab_id, _workspace(workspace), KIT_ROOT)
    except WorkInProgress as exc:
        _fail(str(exc))
    if created:
        typer.echo(f"Started {lab_id} in {folder}")
    else:
        typer.echo(f"{lab_id} is already in {folder} (unchanged starter code).")
    guide = folder / "README.md"
    if guide.is_file():
        typer.echo(f"Read the lab guide: {guide}")
    typer.echo(f"Fill in the NotImplementedError parts, then run: labkit grade {lab_id}")


def _targets(solution: bool, workspace: Path | None,
             submissions: list[Path]) -> list[tuple[str, Path, bool]]:
    """(label, folder holding labs/, is a submission) for each thing to grade."""
    if solution and submissions:
        _fail("--solution and --submission exclude each other.")
    if solution:
        return [("reference", KIT_ROOT, False)]
    if submissions:
        names = [p.name for p in submissions]
        targets = []
        for path in submissions:
            if not (path / "labs").is_dir():
                _fail(f"{path} has no labs/ folder; pass the folder that contains labs/.")
            label = path.name if names.count(path.name) == 1 else str(path)
            targets.append((label, path, True))
        return targets
    folder = _workspace(workspace)
    if not (folder / "labs").is_dir():
        _fail(f"no workspace at {folder}: run 'labkit start LAB' first (or pass --workspace).")
    return [(folder.name, folder, False)]


def _print_result(result, verbose: bool) -> None:
    from shared.grading.plugin import by_exercise, fmt_points

    typer.secho(f"{result.lab_id}  [{result.submission}]  {result.summary}", bold=True)
    for heading, tests in by_exercise(result.tests):
        done = all(t.passed for t in tests)
        typer.secho(f"  {heading}", bold=True, fg=typer.colors.GREEN if done else None)
        for test in tests:
            ok = test.passed
            mark = "PASS" if ok else test.status.upper()
            points = f"{fmt_points(test.score)}/{fmt_points(test.max_score)}"
            name = test.name.split("::")[-1] + (" (hidden)" if test.hidden else "")
            typer.secho(f"    {mark:<8}{points:>9}  {name}",
                        fg=typer.colors.GREEN if ok else typer.colors.RED)
            if not ok and test.feedback:
                for line in test.feedback.splitlines()[:12]:
                    typer.echo(f"                       {line}")
    for note in result.notes:
        typer.secho(f"  note: {note}", fg=typer.colors.YELLOW)
    for error in result.errors:
        typer.secho(f"  error: {error}", fg=typer.colors.RED)
    if verbose and result.log:
        typer.echo(result.log)


def grade(
    lab: str = typer.Argument(None, help="Lab to grade (default: every lab in the folder)."),
    solution: bool = typer.Option(False, "--solution", help="Grade the reference solution."),
    workspace: Path = WorkspaceOption,
    submission: list[Path] = typer.Option(
        None, "--submission", help="A submission folder (holding labs/); repeat for several."
    ),
    with_hidden: bool = typer.Option(False, "--with-hidden", help="Also run hidden tests."),
    exercise: int = typer.Option(
        None, "--exercise", min=1, help="Grade only this exercise (its step number in the lab guide)."),
    report: Path = typer.Option(None, "--report", help="Write a grade report to this file."),
    fmt: str = typer.Option(
        None, "--format", help="gradescope, junit, csv or gradebook (default: from --report)."
    ),
    timeout: float = typer.Option(60.0, "--timeout", help="Seconds allowed per graded test."),
    wall_clock: float = typer.Option(
        1800.0, "--wall-clock", help="Seconds allowed per lab (with --submissions: per submission)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show pytest's output too."),
    submissions_dir: Path = typer.Option(
        None, "--submissions", help="A folder of submission folders: grade them all, in parallel "
        "(each in its own process, folder and time limit) into a gradebook."),
    jobs: int = typer.Option(2, "--jobs", min=1, help="With --submissions: how many at a time."),
) -> None:
    """Grade your workspace (default), the reference (--solution) or submissions."""
    from shared.grading import release, runner, scores
    from shared.grading.report import ReportError, format_for, write_report

    if submissions_dir is not None:
        if solution or submission:
            _fail("--submissions grades a folder of submissions; leave out --solution/--submission.")
        report = report or Path("gradebook.csv")
        fmt = fmt or ("gradebook" if report.suffix.lower() == ".csv" else None)
    if report is not None:
        try:
            fmt = format_for(report, fmt)
        except ReportError as exc:
            _fail(str(exc))
    if submissions_dir is not None:
        if exercise is not None:
            _check_exercise(lab, exercise)
        _grade_batch(submissions_dir, lab, jobs, report, fmt, verbose, with_hidden=with_hidden,
                     exercise=exercise, timeout=timeout, wall_clock=wall_clock)
        return
    targets = _targets(solution, workspace, submission or [])
    if exercise is not None:
        _check_exercise(lab, exercise)
    results = []
    for label, root, is_submission in targets:
        if lab:
            lab_ids = [_lab_id(lab)]
        elif solution:
            lab_ids = [lab_id for lab_id in runner.kit_lab_ids(KIT_ROOT)
                       if runner.lab_tests_dir(lab_id, KIT_ROOT).is_dir()]
        else:
            lab_ids = runner.labs_present(root, KIT_ROOT)
        if lab and not solution and not is_submission and not (root / "labs" / lab_ids[0]).is_dir():
            _fail(f"{lab_ids[0]} is not in your workspace {root}: run 'labkit start {lab_ids[0]}' first.")
        if not lab_ids:
            typer.secho(f"{label}: no labs to grade.", fg=typer.colors.YELLOW)
        for lab_id in lab_ids:
            result = runner.grade_lab(lab_id, root, kit_root=KIT_ROOT, label=label,
                                      with_hidden=with_hidden, timeout=timeout,
                                      wall_clock=wall_clock, exercise=exercise)
            if is_submission:
                result.notes += release.check_submission_tests(root, KIT_ROOT, lab_id)
            elif not solution and result.tests and exercise is None:
                scores.record_score(lab_id, result.score, result.max_score, root)
            _print_result(result, verbose)
            results.append(result)
    if len(results) > 1:
        from shared.grading.plugin import fmt_points

        total = sum(r.score for r in results)
        possible = sum(r.max_score for r in results)
        typer.secho(f"TOTAL {fmt_points(total)}/{fmt_points(possible)}", bold=True)
    if report is not None:
        try:
            typer.echo(f"Report ({fmt}): {write_report(results, report, fmt)}")
        except ReportError as exc:
            _fail(str(exc))


def _grade_batch(folder: Path, lab: str | None, jobs: int, report: Path, fmt: str,
                 verbose: bool, **options) -> None:
    """Every submission folder of ``folder`` in parallel; the report is rewritten after each."""
    from shared.grading import batch
    from shared.grading.report import ReportError, render

    try:
        folders = batch.submission_folders(folder)
    except batch.BatchError as exc:
        _fail(str(exc))
    if fmt == "gradescope":
        _fail("a Gradescope results.json holds one submission; use a .csv gradebook here.")
    if report.is_dir():
        _fail(f"--report {report} is a folder; give a file name, e.g. {report / 'gradebook.csv'}.")
    done: list = []
    typer.echo(f"Grading {len(folders)} submission(s), {jobs} at a time; report: {report}")

    def finished(label: str, results: list, seconds: float) -> None:
        done.extend(results)
        cells = "  ".join(f"{r.lab_id} {r.summary}" for r in results)
        problems = sum(len(r.errors) for r in results)
        typer.secho(f"{label}: {cells}  ({seconds:.1f} s)" + (f"  {problems} error(s)" if problems else ""),
                    fg=typer.colors.RED if problems else None)
        if verbose:
            for result in results:
                _print_result(result, verbose=False)
        try:  # after every submission, so each finished one keeps its row whatever happens next
            batch.write_atomic(report, render(sorted(done, key=lambda r: (r.submission, r.lab_id)), fmt))
        except (ReportError, OSError) as exc:
            _fail(f"cannot write the report {report}: {exc}")

    labs = [_lab_id(lab)] if lab else None
    batch.grade_submissions(folders, KIT_ROOT, batch.GradeOptions(labs=labs, **options), jobs, finished)
    typer.echo(f"Report ({fmt}): {report}")


def _check_exercise(lab: str | None, number: int) -> None:
    from shared.grading.exercises import ExerciseError, exercise_numbered

    if not lab:
        _fail("--exercise needs a lab: labkit grade LAB --exercise N.")
    try:
        exercise_numbered(_lab_id(lab), number, KIT_ROOT)
    except ExerciseError as exc:
        _fail(str(exc))


def release_command(
    out: Path = typer.Option(None, "--out", help="Empty folder to write the student release to."),
    gradescope: Path = typer.Option(
        None, "--gradescope", help="Write a Gradescope autograder bundle (a .zip) here."),
    bundle_labs: list[str] = typer.Option(
        None, "--lab", help="With --gradescope: grade only this lab (repeat for several)."),
    bundle_exercise: int = typer.Option(
        None, "--exercise", min=1, help="With --gradescope and one --lab: grade only this exercise."),
    wheels: Path = typer.Option(
        None, "--wheels", help="With --gradescope: a folder of wheels that setup.sh installs offline."),
) -> None:
    """Write a student release (--out) and/or a Gradescope autograder bundle (--gradescope)."""
    from shared.grading.regions import SolutionMarkerError
    from shared.grading.release import ReleaseError, write_release

    if out is None and gradescope is None:
        _fail("pass --out DIR (the student release) and/or --gradescope OUT.zip (the autograder).")
    if gradescope is not None:
        _write_gradescope(gradescope, bundle_labs, bundle_exercise, wheels)
    if out is None:
        return
    try:
        summary = write_release(out, KIT_ROOT)
    except (ReleaseError, SolutionMarkerError) as exc:
        _fail(str(exc))
    typer.echo(f"Student release written to {summary.out}")
    typer.echo(f"  labs: {', '.join(summary.labs) or 'none'}")
    typer.echo(f"  visible test files: {summary.test_files} "
               f"(hidden files left out: {summary.hidden_files_left_out})")
    typer.echo("  checksums: tests/SHA256SUMS")


def _write_gradescope(out: Path, labs: list[str] | None, exercise: int | None,
                      wheels: Path | None) -> None:
    from shared.grading.gradescope import BundleError, write_bundle

    labs = [_lab_id(lab) for lab in labs or []]
    if exercise is not None:
        if len(labs) != 1:
            _fail("--exercise needs exactly one --lab: an exercise number belongs to one lab.")
        _check_exercise(labs[0], exercise)
    try:
        summary = write_bundle(out, KIT_ROOT, labs or None, exercise, wheels)
    except BundleError as exc:
        _fail(str(exc))
    what = f", exercise {exercise}" if exercise else ""
    typer.echo(f"Gradescope autograder written to {summary.out} ({summary.size / 1024:.0f} KB, "
               f"{summary.files} files; labs: {', '.join(summary.labs)}{what}; hidden tests included)")
    typer.echo("  upload it as the assignment's autograder (Ubuntu base image); students submit "
               "the folder that holds labs/")


def register(app: typer.Typer, serve_app: typer.Typer) -> None:
    app.command("start")(start)
    app.command("grade")(grade)
    app.command("release")(release_command)
