"""The report's charts as PNG files (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path

from shared.compare.records import StackRun, kind_of, monthly_cost, round_volume, wilson, window_counts

COLORS = {"azure": "#0078d4", "gcp": "#34a853"}


def _plt():
    import matplotlib

    matplotlib.use("Agg")  # headless: write files, never open a window
    import matplotlib.pyplot as plt

    return plt


def _label(run: StackRun) -> str:
    return f"{run.title} ({kind_of(run)})"


def _emulated_note(fig, runs: list[StackRun]) -> None:
    if any(r.emulated for r in runs):
        fig.text(0.01, 0.01, "emulated: figures from local emulators with stand-in models, not the real services",
                 fontsize=7, color="#a00")


def _not_shown(fig, lines: list[str]) -> None:
    """Say on the chart which series is left out and why (a reader of the PNG alone sees it too)."""
    for i, line in enumerate(lines):
        fig.text(0.99, 0.01 + 0.035 * i, line, fontsize=7, color="#555", ha="right")


def accuracy_per_window(runs: list[StackRun], scenarios: list[str], path: Path) -> Path:
    """Only stacks whose quality is measured are drawn: a stand-in's accuracy is not a result."""
    plt = _plt()
    fig, axes = plt.subplots(1, len(scenarios), figsize=(3.2 * len(scenarios), 3.6), sharey=True, squeeze=False)
    for ax, scenario in zip(axes[0], scenarios, strict=True):
        for run in (r for r in runs if r.quality_source):
            counts = window_counts(run, scenario)
            if not counts:
                continue
            xs = [w for w, _, _ in counts]
            ys = [k / n for _, k, n in counts]
            bounds = [wilson(k, n) for _, k, n in counts]
            errors = [[y - lo for y, (lo, _) in zip(ys, bounds, strict=True)],
                      [hi - y for y, (_, hi) in zip(ys, bounds, strict=True)]]
            ax.errorbar(xs, ys, yerr=errors, marker="o", capsize=2, color=COLORS.get(run.stack), label=_label(run))
            for w in (w for w, feats in run.alerts.get(scenario, {}).items() if feats):
                ax.axvline(w, color=COLORS.get(run.stack), alpha=0.25, linestyle="--")
        ax.set_title(scenario, fontsize=9)
        ax.set_xlabel("window")
        ax.set_ylim(0, 1.05)
    axes[0][0].set_ylabel(f"accuracy ({runs[0].terms.label})")
    if any(r.quality_source for r in runs):
        axes[0][0].legend(fontsize=6, loc="lower left")
    sizes = sorted({n for r in runs if r.quality_source for sc in scenarios for _, _, n in window_counts(r, sc)})
    fig.suptitle(f"Accuracy per stream window (n={'/'.join(map(str, sizes))} per window, bars: 95% Wilson "
                 "intervals); dashed lines: drift alerts", fontsize=10)
    _not_shown(fig, [f"{r.title}: quality not measured (emulated stand-in), not drawn"
                     for r in runs if not r.quality_source])
    _emulated_note(fig, runs)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def cost_vs_volume(runs: list[StackRun], path: Path, crossover: float | None,
                   span: tuple[float, float] | None = None) -> Path:
    plt = _plt()
    volumes = [10 ** (e / 4) for e in range(4, 33)]  # 10 .. 1e8 items per month
    fig, ax = plt.subplots(figsize=(6, 3.8))
    for run in runs:
        ax.plot(volumes, [monthly_cost(run, v) for v in volumes], color=COLORS.get(run.stack), label=_label(run),
                linewidth=2)
    if span:
        ax.axvspan(*span, color="grey", alpha=0.15, label="crossover, one assumption halved or doubled")
    if crossover:
        ax.axvline(crossover, color="grey", linestyle=":")
        # x in data units, y as a fraction of the axes: the label sits by the line whatever the scale
        ax.text(crossover, 0.03, f" lines cross near {round_volume(crossover)}/month",
                transform=ax.get_xaxis_transform(), fontsize=7, rotation=90, va="bottom", ha="right")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(f"{runs[0].terms.items} per month")
    ax.set_ylabel("estimated USD per month")
    ax.set_title("Cost vs volume under the stated prices (see 'Cost assumptions')", fontsize=9)
    ax.legend(fontsize=7)
    _emulated_note(fig, runs)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def latency_distribution(runs: list[StackRun], path: Path) -> Path:
    """Cumulative share of items answered within x ms, log x: series of very different speeds
    (and a series whose items all waited the same) both stay visible, unlike a shared histogram."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4.2))
    for order, run in enumerate(runs):
        values = sorted(1000 * v for v in run.test_latencies_s)
        if not values:
            continue
        shares = [(k + 1) / len(values) for k in range(len(values))]
        # the first series wider: where the two coincide, it still shows as an outline
        ax.step([values[0], *values], [0.0, *shares], where="post", color=COLORS.get(run.stack),
                linewidth=4.5 if order == 0 else 1.8,
                label=f"{_label(run)}, n={len(values)}")
        ax.plot([values[len(values) // 2]], [0.5], marker="o", color=COLORS.get(run.stack))
    ax.set_xscale("log")
    # plain numbers at 1, 2, 5 x 10^k (matplotlib's labelled minor ticks of a short log axis overlap);
    # over more than 3 decades only at 10^k, or the 1-2-5 labels run into each other
    import math

    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    lo, hi = ax.get_xlim()
    decades = math.log10(hi / lo) if lo > 0 else 0
    ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0) if decades <= 3 else (1.0,)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_ylim(0, 1.05)
    t = runs[0].terms
    ax.set_xlabel(f"latency per {t.item} (ms, log scale): {t.latency_definition}", fontsize=8)
    ax.set_ylabel(f"share of test {t.items}")
    ax.set_title(f"Latency per {t.item} on the test split (dots: medians)", fontsize=9)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2))  # below: never over a line
    _not_shown(fig, [f"{r.title}: {r.speed_source}" for r in runs if not r.test_latencies_s])
    _emulated_note(fig, runs)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
