"""The report's charts as PNG files (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path

from shared.compare.records import StackRun, monthly_cost, window_accuracy

COLORS = {"azure": "#0078d4", "gcp": "#34a853"}


def _plt():
    import matplotlib

    matplotlib.use("Agg")  # headless: write files, never open a window
    import matplotlib.pyplot as plt

    return plt


def _label(run: StackRun) -> str:
    return f"{run.title} ({'emulated' if run.emulated else 'real cloud'})"


def _emulated_note(fig, runs: list[StackRun]) -> None:
    if any(r.emulated for r in runs):
        fig.text(0.01, 0.01, "emulated: figures from local emulators with stand-in models, not the real services",
                 fontsize=7, color="#a00")


def accuracy_per_window(runs: list[StackRun], scenarios: list[str], path: Path) -> Path:
    plt = _plt()
    fig, axes = plt.subplots(1, len(scenarios), figsize=(3.2 * len(scenarios), 3.4), sharey=True, squeeze=False)
    for ax, scenario in zip(axes[0], scenarios, strict=True):
        for run in runs:
            points = window_accuracy(run, scenario)
            if not points:
                continue
            xs, ys = zip(*points, strict=True)
            ax.plot(xs, ys, marker="o", color=COLORS.get(run.stack), label=_label(run))
            alerted = [w for w, feats in run.alerts.get(scenario, {}).items() if feats]
            for w in alerted:
                ax.axvline(w, color=COLORS.get(run.stack), alpha=0.25, linestyle="--")
        ax.set_title(scenario, fontsize=9)
        ax.set_xlabel("window")
        ax.set_ylim(0, 1)
    axes[0][0].set_ylabel("accuracy (category)")
    axes[0][0].legend(fontsize=6, loc="lower left")
    fig.suptitle("Accuracy per stream window; dashed lines: drift alerts", fontsize=10)
    _emulated_note(fig, runs)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def cost_vs_volume(runs: list[StackRun], path: Path, crossover: float | None) -> Path:
    plt = _plt()
    volumes = [10 ** (e / 4) for e in range(4, 33)]  # 10 .. 1e8 tickets per month
    fig, ax = plt.subplots(figsize=(6, 3.8))
    for run in runs:
        ax.plot(volumes, [monthly_cost(run, v) for v in volumes], color=COLORS.get(run.stack), label=_label(run))
    if crossover:
        ax.axvline(crossover, color="grey", linestyle=":")
        # x in data units, y as a fraction of the axes: the label sits by the line whatever the scale
        ax.text(crossover, 0.03, f" lines cross at ~{crossover:,.0f}/month", transform=ax.get_xaxis_transform(),
                fontsize=7, rotation=90, va="bottom", ha="right")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("tickets per month")
    ax.set_ylabel("estimated USD per month")
    ax.set_title("Cost vs volume (price tables in shared/compare and the Azure lab)", fontsize=9)
    ax.legend(fontsize=7)
    _emulated_note(fig, runs)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def latency_distribution(runs: list[StackRun], path: Path) -> Path:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for run in runs:
        values = [1000 * v for v in run.test_latencies_s]
        if values:
            ax.hist(values, bins=40, alpha=0.6, color=COLORS.get(run.stack), label=_label(run))
    ax.set_xlabel("latency per ticket (ms)")
    ax.set_ylabel("tickets")
    ax.set_title("Latency distribution on the test split", fontsize=9)
    ax.legend(fontsize=7)
    _emulated_note(fig, runs)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
