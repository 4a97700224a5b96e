"""The side-by-side report: a table, charts, and a "what this shows" section made from the numbers.

Writes DIR/report.md, DIR/report.html (self-contained: charts embedded), DIR/report.json (every
figure, machine-readable) and the chart PNGs. Every figure that came from an emulator carries the
word "emulated" in the table header, on the charts and in the page.
"""

from __future__ import annotations

import base64
import html
import json
import math
from pathlib import Path

from shared.compare import charts
from shared.compare.records import (
    REFERENCE_VOLUME,
    StackRun,
    crossover_volume,
    monthly_cost,
    summary_row,
    window_accuracy,
)
from shared.datasets.tickets import CATEGORIES, DRIFT_START, SCENARIOS

ROWS = [  # (key, label, format)
    ("tickets", "test tickets", "{:.0f}"),
    ("classified", "classified (not filtered or failed)", "{:.0f}"),
    ("accuracy", "accuracy (category)", "{:.3f}"),
    ("macro_f1", "macro-F1 (category)", "{:.3f}"),
    ("priority_accuracy", "accuracy (priority)", "{:.3f}"),
    ("latency_p50_ms", "latency p50 per ticket (ms)", "{:.1f}"),
    ("latency_p95_ms", "latency p95 per ticket (ms)", "{:.1f}"),
    ("throughput_per_s", "throughput (tickets/s)", "{:.1f}"),
    ("prompt_tokens", "prompt tokens (test and stream tickets)", "{:,.0f}"),
    ("completion_tokens", "completion tokens (test and stream tickets)", "{:,.0f}"),
    ("cost_per_1000_usd", f"est. cost per 1,000 tickets at {REFERENCE_VOLUME:,}/month (USD)", "{:.4f}"),
    ("time_to_first_result_s", "time to first result (s)", "{:.1f}"),
]


def _fmt(value, pattern: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return pattern.format(value)


def _header(run: StackRun) -> str:
    return f"{run.title} ({'emulated' if run.emulated else 'real cloud'})"


def table(runs: list[StackRun]) -> list[list[str]]:
    """Rows of the main table: a header row, then one row per figure, one column per stack."""
    summaries = [summary_row(r) for r in runs]
    rows = [["figure", *(_header(r) for r in runs)]]
    for key, label, pattern in ROWS:
        rows.append([label, *(_fmt(s[key], pattern) for s in summaries)])
    for category in CATEGORIES:
        rows.append([f"F1 {category}", *(_fmt(s["f1_per_class"][category], "{:.3f}") for s in summaries)])
    for scenario in SCENARIOS:
        rows.append([f"stream accuracy, {scenario} (per window)",
                     *(" ".join(_fmt(a, "{:.2f}") for _, a in window_accuracy(r, scenario)) or "n/a" for r in runs)])
    return rows


def _pair(a: StackRun, b: StackRun, key: str, higher_wins: bool, unit: str = "", fmt: str = "{:.3f}") -> tuple:
    """(winner, loser, 'winner value vs loser value') for one figure of two stacks."""
    va, vb = summary_row(a)[key], summary_row(b)[key]
    a_wins = va >= vb if higher_wins else va <= vb
    (w, vw), (lo, vl) = ((a, va), (b, vb)) if a_wins else ((b, vb), (a, va))
    return w, lo, f"{fmt.format(vw)}{unit} vs {fmt.format(vl)}{unit}"


def findings(runs: list[StackRun]) -> list[str]:
    """Sentences computed from the figures; nothing here is written in advance."""
    if len(runs) < 2:
        return ["Only one stack ran, so there is nothing to compare yet."]
    a, g = runs[0], runs[1]
    out = []
    w, lo, text = _pair(a, g, "macro_f1", higher_wins=True)
    out.append(f"On the same test tickets, {w.title} scored the higher category macro-F1 ({text} for {lo.title}).")
    w, lo, text = _pair(a, g, "time_to_first_result_s", higher_wins=False, unit=" s", fmt="{:.1f}")
    trains = f": {lo.title} trains its model before it can answer" if lo.cost_fixed_usd > 0 else ""
    out.append(f"{w.title} gave its first result sooner ({text}){trains}.")
    w, lo, text = _pair(a, g, "latency_p50_ms", higher_wins=False, unit=" ms", fmt="{:.1f}")
    out.append(f"Per ticket, {w.title} answered faster at the median ({text}).")
    cross = crossover_volume(a, g)
    cheap_low = a if monthly_cost(a, 1000) <= monthly_cost(g, 1000) else g
    if cross:
        out.append(f"At low volume {cheap_low.title} is cheaper; the monthly cost lines cross near "
                   f"{cross:,.0f} tickets per month.")
    else:
        out.append(f"{cheap_low.title} is cheaper at every volume from 1 to 10^9 tickets per month "
                   "under the price tables used.")
    for run in runs:
        out += _drift_findings(run)
    if any(r.emulated for r in runs):
        out.append("These figures are emulated: " + " ".join(r.stand_in for r in runs if r.emulated))
    return out


def _drift_findings(run: StackRun) -> list[str]:
    out, drops = [], []
    for scenario in SCENARIOS[1:]:
        points = dict(window_accuracy(run, scenario))
        before = [v for w, v in points.items() if w < DRIFT_START]
        after = [v for w, v in points.items() if w >= DRIFT_START]
        if before and after:
            drops.append((sum(before) / len(before) - sum(after) / len(after), scenario,
                          sum(before) / len(before), sum(after) / len(after)))
    if drops:
        drop, scenario, before, after = max(drops)
        out.append(f"{run.title} suffered most under '{scenario}' drift: accuracy {before:.2f} before "
                   f"the drift started, {after:.2f} after.")
    if run.alerts:
        caught = [sc for sc in SCENARIOS[1:] if any(run.alerts.get(sc, {}).values())]
        quiet = not any(run.alerts.get("none", {}).values())
        out.append(f"{run.title} raised drift alerts for: {', '.join(caught) or 'no scenario'}; "
                   f"on the drift-free stream it {'stayed quiet' if quiet else 'raised false alerts'}.")
    return out


def _chart_paths(runs: list[StackRun], out: Path) -> dict[str, Path]:
    cross = crossover_volume(runs[0], runs[1]) if len(runs) > 1 else None
    return {
        "Accuracy per window under drift":
            charts.accuracy_per_window(runs, list(SCENARIOS), out / "accuracy_per_window.png"),
        "Cost vs volume": charts.cost_vs_volume(runs, out / "cost_vs_volume.png", cross),
        "Latency distribution": charts.latency_distribution(runs, out / "latency.png"),
    }


def markdown(runs: list[StackRun], rows: list[list[str]], notes: list[str], pictures: dict[str, Path]) -> str:
    lines = ["# Ticket triage: Azure OpenAI vs a custom TensorFlow model on Vertex AI", ""]
    if any(r.emulated for r in runs):
        lines += ["> **emulated**: figures marked emulated come from local emulators with stand-in models.", ""]
    lines += ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    lines += ["", "## What this shows", ""] + [f"- {n}" for n in notes] + [""]
    for title, path in pictures.items():
        lines += [f"## {title}", "", f"![{title}]({path.name})", ""]
    for run in runs:
        for note in run.notes:
            lines.append(f"- {run.title}: {note}")
    return "\n".join(lines) + "\n"


def page(runs: list[StackRun], rows: list[list[str]], notes: list[str], pictures: dict[str, Path]) -> str:
    esc = html.escape
    head = "".join(f"<th>{esc(c)}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>" for r in rows[1:])
    imgs = "".join(
        f'<figure><img alt="{esc(t)}" src="data:image/png;base64,{base64.b64encode(p.read_bytes()).decode()}">'
        f"<figcaption>{esc(t)}</figcaption></figure>" for t, p in pictures.items())
    banner = ('<p class="emulated"><strong>emulated</strong>: figures marked emulated come from local emulators '
              "with stand-in models, not the real services.</p>") if any(r.emulated for r in runs) else ""
    items = "".join(f"<li>{esc(n)}</li>" for n in notes)
    code = "; ".join(f"{r.title}: {r.code}" for r in runs)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>labkit: ticket triage side by side</title>
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right}}
td:first-child,th:first-child{{text-align:left}}.emulated{{color:#a00}}img{{max-width:100%}}</style></head>
<body><h1>Ticket triage: Azure OpenAI vs a custom TensorFlow model on Vertex AI</h1>{banner}
<p id="code">Code run: {esc(code)}</p>
<table id="figures"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>
<h2>What this shows</h2><ul id="findings">{items}</ul>{imgs}</body></html>
"""


def write_report(runs: list[StackRun], out: Path) -> dict[str, Path]:
    """Write every part of the report to OUT and return the paths by kind."""
    out.mkdir(parents=True, exist_ok=True)
    rows, notes = table(runs), findings(runs)
    pictures = _chart_paths(runs, out)
    paths = {"markdown": out / "report.md", "html": out / "report.html", "json": out / "report.json"}
    paths["markdown"].write_text(markdown(runs, rows, notes, pictures), encoding="utf-8")
    paths["html"].write_text(page(runs, rows, notes, pictures), encoding="utf-8")
    figures = {r.stack: {**summary_row(r), "stand_in": r.stand_in, "code": r.code,
                         "windows": {sc: window_accuracy(r, sc) for sc in SCENARIOS},
                         "alerts": r.alerts} for r in runs}
    paths["json"].write_text(json.dumps({"findings": notes, "stacks": figures}, indent=2, default=str))
    return {**paths, **{p.stem: p for p in pictures.values()}}
