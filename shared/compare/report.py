"""The side-by-side report: figures grouped by where they come from, charts, and "what this shows"
sentences made from the numbers.

Writes DIR/report.md, DIR/report.html (self-contained: charts embedded), DIR/report.json (every
figure, machine-readable) and the chart PNGs. Both pages are rendered from one list of sections,
so the HTML carries every note the Markdown carries.

Honesty rules the code keeps: a stack whose answers came from an emulator's stand-in model has
its quality shown as "not measured", never set against a real model's; every figure group says
what it measures (source rows); accuracy and F1 carry 95% intervals and sample sizes; the cost
crossover is a rounded range under stated assumptions, with what moves it.
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
    kind_of,
    labels_of,
    monthly_cost,
    round_volume,
    scenarios_of,
    sensitivity,
    speed_measured,
    summary_row,
    wilson,
    window_counts,
)

TICKETS_TITLE = "Ticket triage: Azure OpenAI vs a custom TensorFlow model on Vertex AI"
NOT_MEASURED = "not measured (emulated stand-in)"
SMALL_WINDOW = 30  # fewer items than this in a window: its accuracy is too uncertain to read alone


def _fmt(value, pattern: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return pattern.format(value)


def _ci(value, interval, pattern: str = "{:.3f}") -> str:
    if value is None:
        return NOT_MEASURED
    lo, hi = interval
    return f"{_fmt(value, pattern)} [{_fmt(lo, pattern)}–{_fmt(hi, pattern)}]"


def _header(run: StackRun) -> str:
    return f"{run.title} ({kind_of(run)})"


def _quality_source(run: StackRun) -> str:
    return run.quality_source or f"{NOT_MEASURED}: {run.stand_in}"


def table(runs: list[StackRun], s: dict[str, dict]) -> list[list[str]]:
    """Rows of the main table: a header row, then groups. A one-cell row starts a group; each group's
    first row says where its figures come from."""
    rows = [["figure", *(_header(r) for r in runs)]]
    t = runs[0].terms

    def add(label, cell):
        rows.append([label, *(cell(r, s[r.stack]) for r in runs)])

    same = len({frozenset(p.id for p in r.split("test")) for r in runs}) == 1
    whose = "the same" if same else "each stack's own"
    rows.append([f"Quality on {whose} test {t.items} (95% intervals: Wilson for accuracy, bootstrap for F1)"])
    add("source", lambda r, _: _quality_source(r))
    add(f"test {t.items} (n)", lambda r, x: f"{x['items']} ({x['classified']} classified)")
    add(f"accuracy ({t.label})", lambda r, x: _ci(x["accuracy"], x["accuracy_ci"]))
    add(f"macro-F1 ({t.label})", lambda r, x: _ci(x["macro_f1"], x["macro_f1_ci"]))
    if t.second_label:
        key = f"{t.second_label}_accuracy"
        add(f"accuracy ({t.second_label})", lambda r, x: _ci(x[key], x[f"{key}_ci"]))
    ref = next((r for r in runs if r.quality_source), runs[0])  # measured: its test items are the ones scored
    for c in labels_of(ref):
        add(f"F1 {c} (n={s[ref.stack]['support_per_class'].get(c, 0)})",
            lambda r, x, c=c: _ci(x["f1_per_class"] and x["f1_per_class"].get(c),
                                  (x["f1_ci_per_class"] or {}).get(c, (None, None))))
    if any(s[r.stack]["fields"] for r in runs):
        rows += field_rows(runs, s)
    rows.append([f"Drift: {t.label} accuracy per stream window (n per window), and drift alerts"])
    for scenario in scenarios_of(runs[-1]):
        add(f"{scenario}", lambda r, x, sc=scenario: (
            " ".join(f"{k / n:.2f}" for _, k, n in window_counts(r, sc)) + _window_n(window_counts(r, sc))
            if r.quality_source else NOT_MEASURED))
        add(f"{scenario}: alerts", lambda r, x, sc=scenario: _alert_cell(r, sc))
    rows.append(["Usage and cost (billed units counted from the requests sent; prices under Cost assumptions)"])
    add("source", lambda r, _: r.usage_source)
    for unit in dict.fromkeys(k for r in runs for k in r.usage):
        add(f"{unit} (all requests)", lambda r, x, unit=unit: _fmt(r.usage[unit], "{:,.0f}") if unit in r.usage
            else "none")
    add(f"est. cost per 1,000 {t.items} at {REFERENCE_VOLUME:,}/month (USD)",
        lambda r, x: _fmt(x["cost_per_1000_usd"], "{:.4f}"))
    rows.append([f"Speed (per {t.item}: {t.latency_definition}, both sides)"])
    add("source", lambda r, _: r.speed_source)
    add(f"latency p50 per {t.item} (ms)", lambda r, x: _fmt(x["latency_p50_ms"], "{:.1f}") + _n(x["latency_n"]))
    add(f"latency p95 per {t.item} (ms)", lambda r, x: _fmt(x["latency_p95_ms"], "{:.1f}") + _n(x["latency_n"]))
    add(f"throughput ({t.items}/s, first request sent to last answer)",
        lambda r, x: _rate(x["throughput_per_s"]) + (f" ({x['throughput_basis']})" if x["throughput_basis"] else ""))
    add("time to first result (s)", lambda r, x: _fmt(x["time_to_first_result_s"], "{:.1f}"))
    keys = list(dict.fromkeys(k for r in runs for k in r.quota))
    if keys:
        rows.append(["Quota and resilience (the lab's own retry code against the service's limits and faults)"])
        for key in keys:
            add(key, lambda r, x, key=key: str(r.quota[key]) if key in r.quota else "n/a")
    return rows


def field_rows(runs: list[StackRun], s: dict[str, dict]) -> list[list[str]]:
    """Key-field extraction: only a stack that reads text has figures; the other says why it has none."""
    names = list(dict.fromkeys(k for r in runs for k in s[r.stack]["fields"]))
    rows = [[f"Field extraction: exact match of each key field on the test {runs[0].terms.items} answered that show "
             "it (95% Wilson intervals); only a stack that reads text extracts fields"]]
    rows.append(["source", *(r.fields_source or "not applicable" for r in runs)])
    for name in names:
        sizes = {s[r.stack]["fields"][name]["n"] for r in runs if name in s[r.stack]["fields"]}
        label = f"{name} (n={'/'.join(map(str, sorted(sizes)))})"
        rows.append([label, *(_field_cell(s[r.stack]["fields"].get(name)) if s[r.stack]["fields"] else "none"
                              for r in runs)])
    return rows


def _field_cell(score: dict | None) -> str:
    if score is None:
        return "n/a"
    return f"{score['exact_match']:.3f} [{score['ci'][0]:.3f}–{score['ci'][1]:.3f}] ({score['right']}/{score['n']})"


def _alert_cell(run: StackRun, scenario: str) -> str:
    if not run.alerts:
        return "no drift monitoring"
    windows = {w: feats for w, feats in sorted(run.alerts.get(scenario, {}).items()) if feats}
    if not windows:
        return "none"
    return "; ".join(f"window {w}: {', '.join(feats)}" for w, feats in windows.items())


def _rate(v: float) -> str:
    """Items per second: whole numbers from 10 up, two significant figures below (0.3, not 0)."""
    return _fmt(v, "{:,.0f}" if v is not None and v >= 10 else "{:.2g}")


def _n(n: int) -> str:
    return f" (n={n})" if n else ""


def _window_n(counts: list[tuple[int, int, int]]) -> str:
    sizes = sorted({n for _, _, n in counts})
    return f" (n={'/'.join(map(str, sizes))})" if sizes else "n/a"


def _pair_sentence(a: StackRun, b: StackRun, sa: dict, sb: dict) -> str:
    """Quality of two measured stacks, and whether the intervals let the difference stand."""
    t = a.terms
    (w, sw), (lo, sl) = ((a, sa), (b, sb)) if sa["macro_f1"] >= sb["macro_f1"] else ((b, sb), (a, sa))
    overlap = sw["macro_f1_ci"][0] <= sl["macro_f1_ci"][1]
    return (f"On the same {sw['items']} test {t.items}, {w.title} scored the higher {t.label} macro-F1 "
            f"({sw['macro_f1']:.3f} vs {sl['macro_f1']:.3f} for {lo.title}); "
            + ("the 95% intervals overlap, so this sample does not establish a difference."
               if overlap else "the 95% intervals do not overlap."))


def findings(runs: list[StackRun], s: dict[str, dict]) -> list[str]:
    """Sentences computed from the figures, what is real first; nothing here is written in advance."""
    if len(runs) < 2:
        return ["Only one stack ran, so there is nothing to compare yet."]
    a, g = runs
    t = a.terms
    out = []
    measured = [r for r in runs if r.quality_source]
    for r in measured:
        x = s[r.stack]
        out.append(f"{r.title} ({r.quality_source}) scored {t.label} macro-F1 {x['macro_f1']:.3f} "
                   f"(95% interval {x['macro_f1_ci'][0]:.3f}–{x['macro_f1_ci'][1]:.3f}) and accuracy "
                   f"{x['accuracy']:.3f} on {x['items']} test {t.items}.")
    if len(measured) == 2:
        out.append(_pair_sentence(a, g, s[a.stack], s[g.stack]))
    for r in runs:
        if not r.quality_source:
            usage = " and ".join(dict.fromkeys(k.split()[-1] for k in r.usage)) or "usage"
            out.append(f"{r.title}'s quality is not measured here: its answers came from an emulated stand-in "
                       "model, so no accuracy of it is set against the other stack. What is measured for it: "
                       f"{usage}, cost, quota behaviour and resilience. {t.measure_hint}")
    out += _field_findings(runs, s)
    out += _cost_findings(a, g, s)
    out += _speed_findings(runs, s)
    first, later = sorted(runs, key=lambda r: r.time_to_first_result_s)
    trains = f": {later.title} trains its model before it can answer" if later.cost_fixed_usd > 0 else ""
    answered_by = "replay" if first.speed_source.startswith("replayed") else "emulator"
    caveat = "" if speed_measured(first) else f" ({first.title}'s time is the {answered_by}'s answer time)"
    out.append(f"{first.title} gave its first result sooner ({first.time_to_first_result_s:.1f} s vs "
               f"{later.time_to_first_result_s:.1f} s){trains}{caveat}.")
    for r in runs:
        if r.quota.get("requests"):
            q = r.quota
            out.append(f"{r.title} sent {q['requests']} requests: {q.get('rate limited (429)', 0)} were rate "
                       f"limited and {q.get('server errors and dropped connections', 0)} hit server errors or dropped "
                       f"connections" + (f"; {q['timed out']} timed out" if q.get("timed out") else "")
                       + f"; {q.get(f'{t.items} retried', 0)} {t.items} needed a retry and "
                       f"{q.get(f'{t.items} failed', 0)} failed"
                       + (" (quotas and faults of the emulator; the retry code is the lab's own)." if r.emulated
                          else "."))
    for r in measured:
        out += _drift_findings(r)
    if any(r.emulated for r in runs):
        out.append("Emulated here: " + " ".join(r.stand_in for r in runs if r.emulated))
    return out


def _speed_findings(runs: list[StackRun], s: dict[str, dict]) -> list[str]:
    t = runs[0].terms
    if all(speed_measured(r) for r in runs):
        fast, slow = sorted(runs, key=lambda r: s[r.stack]["latency_p50_ms"])
        return [f"Per {t.item}, {fast.title} answered faster at the median ({s[fast.stack]['latency_p50_ms']:.1f} ms "
                f"vs {s[slow.stack]['latency_p50_ms']:.1f} ms, each {t.item} timed by {t.latency_definition})."]
    out = []
    for r in runs:
        x = s[r.stack]
        if speed_measured(r):
            out.append(f"{r.title} answered {_a(t.item)} in {x['latency_p50_ms']:.1f} ms at the median "
                       f"({r.speed_source}); its throughput was {_rate(x['throughput_per_s'])} {t.items}/s"
                       + (f" ({x['throughput_basis']})." if x["throughput_basis"] else "."))
        else:
            out.append(f"{r.title}'s latency is not compared: {r.speed_source}.")
    return out


def _a(word: str) -> str:
    return f"{'an' if word[0] in 'aeiou' else 'a'} {word}"


def _field_findings(runs: list[StackRun], s: dict[str, dict]) -> list[str]:
    """Key fields: figures of the stack that reads text, and why the other has none."""
    readers = [r for r in runs if s[r.stack]["fields"]]
    out = []
    for r in readers:
        x = s[r.stack]["fields"]
        worst = min((k for k in x if k != "all fields"), key=lambda k: x[k]["exact_match"])
        every = x["all fields"]
        out.append(f"Only {r.title} extracts key fields: every field of a test {r.terms.item} exactly right on "
                   f"{every['right']} of {every['n']} ({every['exact_match']:.2f}, 95% interval "
                   f"{every['ci'][0]:.2f}–{every['ci'][1]:.2f}); hardest was {worst} ({x[worst]['right']} of "
                   f"{x[worst]['n']}). Source: {r.fields_source}.")
    out += [f"{r.title} extracts no fields ({r.fields_source})." for r in runs
            if r not in readers and r.fields_source and readers]
    return out


def cost_range(a: StackRun, g: StackRun) -> tuple[float | None, list[tuple[str, float | None, float | None]]]:
    """The crossover under the stated assumptions and under each assumption halved and doubled."""
    return crossover_volume(a, g), sensitivity(a, g)


def _cost_findings(a: StackRun, g: StackRun, s: dict[str, dict]) -> list[str]:
    t = a.terms
    cross, moves = cost_range(a, g)
    cheap_low = a if monthly_cost(a, 1000) <= monthly_cost(g, 1000) else g
    other = g if cheap_low is a else a
    per_item = sum(a.usage.values()) / max(1, len(a.predictions))
    out = [f"{a.title} used {per_item:,.{0 if per_item >= 10 else 2}f} {t.usage_unit} per {t.item}, about "
           f"${s[a.stack]['cost_per_1000_usd']:.3f} per 1,000 {t.items}; {g.title} costs about "
           f"${s[g.stack]['cost_per_1000_usd']:.3f} per 1,000 at {REFERENCE_VOLUME:,} {t.items} a month, "
           "mostly the endpoint's hours."]
    if cross is None:
        out.append(f"{cheap_low.title} is cheaper at every volume from 1 to a billion {t.items} a month under the "
                   "assumptions below.")
        return out
    points = [v for _, lo, hi in moves for v in (lo, hi) if v] + [cross]
    out.append(f"Under the assumptions below, {cheap_low.title} is cheaper up to about {round_volume(cross)} "
               f"{t.items} a month and {other.title} above; with any one assumption halved or doubled the crossover "
               f"lies between {round_volume(min(points))} and {round_volume(max(points))}.")
    if moves:
        top = max(_spread(m, cross) for m in moves)
        movers = [f"{what} (halved: {_vol(lo)}; doubled: {_vol(hi)})" for what, lo, hi in moves
                  if _spread((what, lo, hi), cross) >= 0.9 * top]
        out.append(f"What moves it most: {'; and '.join(movers)}.")
    return out


def _spread(move, cross) -> float:
    return max(abs(math.log((v or 1e9) / cross)) for v in move[1:])


def _vol(v: float | None) -> str:
    return f"about {round_volume(v)}" if v else "no crossover below a billion"


def _drift_findings(run: StackRun) -> list[str]:
    t = run.terms
    out, drops = [], []
    for scenario in (sc for sc in scenarios_of(run) if sc != "none"):  # "none": the drift-free stream
        counts = window_counts(run, scenario)
        before = [(k, n) for w, k, n in counts if w < t.drift_start]
        after = [(k, n) for w, k, n in counts if w >= t.drift_start]
        if before and after:
            kb, nb = map(sum, zip(*before, strict=True))
            ka, na = map(sum, zip(*after, strict=True))
            drops.append((kb / nb - ka / na, scenario, kb, nb, ka, na))
    if drops:
        _, scenario, kb, nb, ka, na = max(drops)
        lo, hi = wilson(ka, na)
        out.append(f"{run.title} suffered most under '{scenario}' drift: accuracy {kb / nb:.2f} on {nb} {t.items} "
                   f"before the drift started, {ka / na:.2f} (95% interval {lo:.2f}–{hi:.2f}) on {na} after.")
    if run.alerts:
        out.append(_alert_sentence(run))
    return out


def _alert_sentence(run: StackRun) -> str:
    """Which drifts the monitor caught (an alert from the window the drift starts), and its false
    alarms: any alert on the drift-free stream or in a window before a drift starts."""
    start = run.terms.drift_start
    caught, calm = [], []
    for scenario in scenarios_of(run):
        windows = run.alerts.get(scenario, {})
        first = min((w for w, feats in windows.items() if feats and w >= start), default=None)
        if scenario != "none" and first is not None:
            caught.append(f"{scenario} (window {first})")
        seen = {w for w, _, _ in window_counts(run, scenario)} | set(windows)  # a lab may list only alerting windows
        calm += [bool(windows.get(w)) for w in seen if scenario == "none" or w < start]
    false = sum(calm)
    return (f"{run.title}'s monitor alerted after the drift began (window {start}) for: "
            f"{', '.join(caught) or 'no scenario'}; in the {len(calm)} windows without drift (the drift-free stream "
            f"and each scenario's windows before it starts) it "
            + (f"raised false alerts in {false}." if false else "raised no alert."))


def window_note(runs: list[StackRun]) -> str | None:
    """Small windows say so: how wide one window's interval can be at the size used."""
    sizes = [n for r in runs if r.quality_source for sc in scenarios_of(r) for _, _, n in window_counts(r, sc)]
    if not sizes or min(sizes) >= SMALL_WINDOW:
        return None
    n = min(sizes)
    lo, hi = wilson(n // 2, n)
    t = runs[0].terms
    return (f"Stream windows here hold only {n} {t.item if n == 1 else t.items} each (the lab's own windows hold "
            f"more): one window's accuracy is uncertain by up to ±{(hi - lo) / 2:.2f} (95% Wilson interval), so "
            "read the trend across windows, not a single window. Use --per-window to make them larger.")


def cost_section(a: StackRun, g: StackRun) -> list[str]:
    """The assumptions behind every cost figure, and the crossover's sensitivity, one line each."""
    t = a.terms
    cross, moves = cost_range(a, g)
    lines = [*a.cost_assumptions, *g.cost_assumptions,
             f"'Cost per 1,000 {t.items}' is quoted at {REFERENCE_VOLUME:,} {t.items} a month; a month is 730 hours."]
    if cross is not None:
        lines.append(f"Crossover under these assumptions: about {round_volume(cross)} {t.items} a month.")
    for what, lo, hi in moves:
        lines.append(f"Sensitivity: {what} halved gives {_vol(lo)}, doubled {_vol(hi)}.")
    return lines


def sections(runs: list[StackRun], s: dict[str, dict], notes: list[str], pictures: dict[str, Path]) -> list:
    """The report as (id, title, blocks); blocks are ("p", text), ("ul", items), ("table", rows),
    ("img", caption, path). Both renderers walk this list, so the pages carry the same content."""
    provenance = [f"{r.title}: quality {r.quality_source or NOT_MEASURED}; speed {r.speed_source}." for r in runs]
    out = [("provenance", "Where the figures come from", [("ul", provenance)]),
           ("findings-section", "What this shows", [("ul", notes)]),
           ("figures-section", "Figures", [("table", table(runs, s))])]
    if len(runs) == 2:
        out.append(("cost", "Cost assumptions", [("ul", cost_section(*runs))]))
    out += [(path.stem, title, [("img", title, path)]) for title, path in pictures.items()]
    extra = [w for w in [window_note(runs)] if w] + [f"{r.title}: {n}" for r in runs for n in r.notes]
    extra += [f"{r.title}: {r.stand_in}" for r in runs]
    out.append(("notes", "Notes", [("ul", extra)]))
    return out


def _chart_paths(runs: list[StackRun], out: Path) -> dict[str, Path]:
    cross, moves = cost_range(*runs) if len(runs) == 2 else (None, [])
    points = [v for _, lo, hi in moves for v in (lo, hi) if v] + ([cross] if cross else [])
    span = (min(points), max(points)) if points else None
    return {
        "Accuracy per window under drift":
            charts.accuracy_per_window(runs, scenarios_of(runs[-1]), out / "accuracy_per_window.png"),
        "Cost vs volume": charts.cost_vs_volume(runs, out / "cost_vs_volume.png", cross, span),
        f"Latency per {runs[0].terms.item}": charts.latency_distribution(runs, out / "latency.png"),
    }


def markdown(title: str, runs: list[StackRun], parts: list) -> str:
    lines = [f"# {title}", ""]
    if any(r.emulated for r in runs):
        lines += ["> **emulated**: figures marked emulated come from local emulators with stand-in models.", ""]
    for _, heading, blocks in parts:
        lines += [f"## {heading}", ""]
        for block in blocks:
            if block[0] == "ul":
                lines += [f"- {item}" for item in block[1]]
            elif block[0] == "table":
                rows = block[1]
                lines += ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
                lines += ["| " + " | ".join(r if len(r) > 1 else [f"**{r[0]}**"] + [""] * (len(rows[0]) - 1))
                          + " |" for r in rows[1:]]
            elif block[0] == "img":
                lines.append(f"![{block[1]}]({block[2].name})")
            lines.append("")
    return "\n".join(lines) + "\n"


def page(title: str, runs: list[StackRun], parts: list) -> str:
    esc = html.escape
    body = []
    for sid, heading, blocks in parts:
        body.append(f'<section id="{sid}"><h2>{esc(heading)}</h2>')
        for block in blocks:
            if block[0] == "ul":
                ul_id = ' id="findings"' if sid == "findings-section" else ""
                body.append(f"<ul{ul_id}>" + "".join(f"<li>{esc(i)}</li>" for i in block[1]) + "</ul>")
            elif block[0] == "table":
                rows = block[1]
                head = "".join(f"<th>{esc(c)}</th>" for c in rows[0])
                trs = "".join(
                    f'<tr class="group"><th colspan="{len(rows[0])}">{esc(r[0])}</th></tr>' if len(r) == 1
                    else f'<tr{" class=source" if r[0] == "source" else ""}>'
                         + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>" for r in rows[1:])
                body.append(f'<table id="figures"><thead><tr>{head}</tr></thead><tbody>{trs}</tbody></table>')
            elif block[0] == "img":
                data = base64.b64encode(block[2].read_bytes()).decode()
                body.append(f'<figure><img alt="{esc(block[1])}" src="data:image/png;base64,{data}">'
                            f"<figcaption>{esc(block[1])}</figcaption></figure>")
        body.append("</section>")
    banner = ('<p class="emulated"><strong>emulated</strong>: figures marked emulated come from local emulators '
              "with stand-in models, not the real services.</p>") if any(r.emulated for r in runs) else ""
    code = "; ".join(f"{r.title}: {r.code}" for r in runs)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>labkit: {esc(title)}</title>
<link rel="icon" href="data:,">
<style>body{{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}}
table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:4px 8px;text-align:right;vertical-align:top}}
td:first-child,th:first-child{{text-align:left}}tr.group th{{text-align:left;background:#eef}}
tr.source td{{font-size:85%;color:#555;text-align:left}}.emulated{{color:#a00}}img{{max-width:100%}}</style></head>
<body><h1>{esc(title)}</h1>{banner}
<p id="code">Code run: {esc(code)}</p>
{"".join(body)}</body></html>
"""


def write_report(runs: list[StackRun], out: Path, title: str = TICKETS_TITLE) -> dict[str, Path]:
    """Write every part of the report to OUT and return the paths by kind."""
    out.mkdir(parents=True, exist_ok=True)
    s = {r.stack: summary_row(r) for r in runs}  # once: the bootstrap takes a moment
    notes = findings(runs, s)
    pictures = _chart_paths(runs, out)
    parts = sections(runs, s, notes, pictures)
    paths = {"markdown": out / "report.md", "html": out / "report.html", "json": out / "report.json"}
    paths["markdown"].write_text(markdown(title, runs, parts), encoding="utf-8")
    paths["html"].write_text(page(title, runs, parts), encoding="utf-8")
    figures = {r.stack: {**s[r.stack], "stand_in": r.stand_in, "code": r.code,
                         "windows": {sc: [{"window": w, "right": k, "n": n, "accuracy": k / n,
                                           "ci": wilson(k, n)} for w, k, n in window_counts(r, sc)]
                                     for sc in scenarios_of(r)} if r.quality_source else None,
                         "alerts": r.alerts} for r in runs}
    cost = cost_section(*runs) if len(runs) == 2 else []
    paths["json"].write_text(json.dumps({"title": title, "findings": notes, "cost_assumptions": cost,
                                         "stacks": figures}, indent=2, default=str))
    return {**paths, **{p.stem: p for p in pictures.values()}}
