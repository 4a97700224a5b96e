"""Grade reports: Gradescope's results.json, JUnit XML, and CSV (one row per test or gradebook).

Every format is written from the same list of :class:`~shared.grading.runner.LabResult`, so a
report of several labs or several submissions is one file. Notes on a submission (edited or
deleted test files) and run errors (a hang, a crash) appear in every format.
"""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

from shared.grading.plugin import fmt_points
from shared.grading.runner import LabResult

FORMATS = ("gradescope", "junit", "csv", "gradebook")
SUFFIX_FORMATS = {".json": "gradescope", ".xml": "junit", ".csv": "csv"}
CSV_FIELDS = ("submission", "lab", "test", "score", "max_score", "status", "hidden",
              "feedback", "notes")


class ReportError(ValueError):
    pass


def format_for(path: Path, fmt: str | None) -> str:
    """The report format: as given, else guessed from the file's suffix."""
    if fmt:
        if fmt not in FORMATS:
            raise ReportError(f"unknown report format {fmt!r}; use one of {', '.join(FORMATS)}.")
        return fmt
    guessed = SUFFIX_FORMATS.get(Path(path).suffix.lower())
    if guessed is None:
        raise ReportError(f"cannot tell the format of {path}; pass --format "
                          f"({', '.join(FORMATS)}).")
    return guessed


def _lab_text(result: LabResult) -> str:
    lines = [f"{result.lab_id}: {result.summary}"]
    lines += [f"  note: {n}" for n in result.notes]
    lines += [f"  error: {e.splitlines()[0]}" for e in result.errors]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Gradescope


def gradescope_results(results: list[LabResult]) -> dict:
    """Gradescope's results.json for one submission.

    Shape: {"score": total, "execution_time": s, "output": text, "visibility": "visible",
    "stdout_visibility": "hidden", "tests": [{"name", "number", "score", "max_score",
    "status": "passed"|"failed", "output", "visibility", "tags"}]}. Hidden tests get
    visibility "after_published": learners see them once the instructor publishes grades.
    """
    submissions = {r.submission for r in results}
    if len(submissions) > 1:
        raise ReportError("a Gradescope results.json holds one submission; grade them one at a "
                          "time or use --format csv for a gradebook.")
    tests = []
    for result in results:
        for test in result.tests:
            tests.append({
                "name": f"{result.lab_id}: {test.name}",
                "number": str(len(tests) + 1),
                "score": test.score,
                "max_score": test.max_score,
                "status": "passed" if test.passed else "failed",
                "output": _test_output(test, result),
                "visibility": "after_published" if test.hidden else "visible",
                "tags": [result.lab_id],
            })
    return {
        "score": round(sum(r.score for r in results), 4),
        "execution_time": round(sum(r.duration for r in results), 2),
        "output": "\n".join(_lab_text(r) for r in results),
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": tests,
    }


def _test_output(test, result: LabResult) -> str:
    text = test.feedback if not test.passed else "passed"
    if result.notes and not test.passed:
        text += "\n" + "\n".join(f"note: {n}" for n in result.notes)
    return text


# --------------------------------------------------------------------------------------------
# JUnit XML


def junit_xml(results: list[LabResult]) -> str:
    root = ET.Element("testsuites")
    for result in results:
        failed = [t for t in result.tests if t.status in ("failed", "timeout")]
        errors = [t for t in result.tests if t.status in ("error", "not_run")]
        skipped = [t for t in result.tests if t.status == "skipped"]
        suite = ET.SubElement(root, "testsuite", {
            "name": f"{result.submission}:{result.lab_id}", "tests": str(len(result.tests)),
            "failures": str(len(failed)), "errors": str(len(errors) + len(result.errors)),
            "skipped": str(len(skipped)), "time": f"{result.duration:.3f}",
        })
        props = ET.SubElement(suite, "properties")
        for name, value in (("score", result.score), ("max_score", result.max_score)):
            ET.SubElement(props, "property", {"name": name, "value": fmt_points(value)})
        for note in result.notes:
            ET.SubElement(props, "property", {"name": "note", "value": note})
        for test in result.tests:
            case = ET.SubElement(suite, "testcase", {
                "classname": result.lab_id.replace("/", "."), "name": test.name,
                "time": f"{test.duration:.3f}",
            })
            tag = {"failed": "failure", "timeout": "failure", "error": "error",
                   "not_run": "error", "skipped": "skipped"}.get(test.status)
            if tag:
                first = test.feedback.splitlines()[0] if test.feedback else test.status
                ET.SubElement(case, tag, {"message": first}).text = test.feedback
            ET.SubElement(case, "system-out").text = (
                f"score {fmt_points(test.score)}/{fmt_points(test.max_score)}")
        if result.errors:
            ET.SubElement(suite, "system-err").text = "\n\n".join(result.errors)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode")


# --------------------------------------------------------------------------------------------
# CSV


def csv_rows(results: list[LabResult]) -> list[dict]:
    """One row per test (and one per lab whose run failed before reporting any test)."""
    rows = []
    for result in results:
        notes = "; ".join(result.notes + [e.splitlines()[0] for e in result.errors])
        for test in result.tests:
            rows.append({
                "submission": result.submission, "lab": result.lab_id, "test": test.name,
                "score": fmt_points(test.score), "max_score": fmt_points(test.max_score),
                "status": test.status, "hidden": "yes" if test.hidden else "no",
                "feedback": test.feedback.replace("\n", " | ")[:500], "notes": notes,
            })
        if not result.tests:
            rows.append({"submission": result.submission, "lab": result.lab_id, "test": "",
                         "score": "0", "max_score": "0", "status": "error" if result.errors
                         else "no_tests", "hidden": "", "feedback": "", "notes": notes})
    return rows


def gradebook_rows(results: list[LabResult]) -> tuple[list[str], list[dict]]:
    """One row per submission: each lab's score and maximum, the total, and any notes."""
    labs = sorted({r.lab_id for r in results})
    fields = ["submission"] + [f"{lab} {k}" for lab in labs for k in ("score", "max")]
    fields += ["total", "max_total", "notes"]
    rows: dict[str, dict] = {}
    for result in results:
        row = rows.setdefault(result.submission, {"submission": result.submission,
                                                  "total": 0.0, "max_total": 0.0, "notes": []})
        row[f"{result.lab_id} score"] = fmt_points(result.score)
        row[f"{result.lab_id} max"] = fmt_points(result.max_score)
        row["total"] += result.score
        row["max_total"] += result.max_score
        row["notes"] += result.notes + [e.splitlines()[0] for e in result.errors]
    for row in rows.values():
        row["total"], row["max_total"] = fmt_points(row["total"]), fmt_points(row["max_total"])
        row["notes"] = "; ".join(row["notes"])
    return fields, list(rows.values())


def _csv_text(fields, rows) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(fields))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def render(results: list[LabResult], fmt: str) -> str:
    if fmt == "gradescope":
        return json.dumps(gradescope_results(results), indent=1)
    if fmt == "junit":
        return junit_xml(results)
    if fmt == "csv":
        return _csv_text(CSV_FIELDS, csv_rows(results))
    if fmt == "gradebook":
        return _csv_text(*gradebook_rows(results))
    raise ReportError(f"unknown report format {fmt!r}; use one of {', '.join(FORMATS)}.")


def write_report(results: list[LabResult], path: Path, fmt: str | None = None) -> Path:
    """Write the report (format from ``fmt`` or the file suffix); returns the path."""
    text = render(results, format_for(path, fmt))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="")
    return path
