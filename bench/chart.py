"""Scaling chart: throughput and peak memory at three sizes for the ETL and bus paths.

Reads records named `*.scaling` in either shape the modules emit:
- one record per series with `detail.points = [{size, throughput, peak_rss_mb}, ...]` (bench/bus.py);
- one record per size with `value` = throughput and `detail = {records, peak_rss_mb}` (bench/etl.py).

    python bench/chart.py results.jsonl bench/scaling.png     # redraw from saved `run.py --json` output
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

Point = tuple[float, float, float | None]

UNITS = {"etl.scaling": "rows", "bus.scaling": "messages"}


def scaling_series(records: list[dict[str, Any]]) -> dict[str, list[Point]]:
    """Group the `*.scaling` records into sorted (size, throughput, peak_rss_mb) points per series."""
    series: dict[str, list[Point]] = {}
    for record in records:
        name = str(record.get("name", ""))
        if not name.endswith(".scaling"):
            continue
        detail = record.get("detail") or {}
        points = detail.get("points")
        if points:
            for point in points:
                series.setdefault(name, []).append(
                    (float(point["size"]), float(point["throughput"]), point.get("peak_rss_mb")))
        elif detail.get("records") and record.get("value") is not None:
            series.setdefault(name, []).append(
                (float(detail["records"]), float(record["value"]), detail.get("peak_rss_mb")))
    for points in series.values():
        points.sort()
    return series


def draw_scaling(records: list[dict[str, Any]], out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = scaling_series(records)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for name, points in sorted(series.items()):
        sizes = [p[0] for p in points]
        label = f"{name} ({UNITS.get(name, 'records')}/s)"
        ax1.plot(sizes, [p[1] for p in points], marker="o", label=label)
        for x, y in zip(sizes, [p[1] for p in points], strict=True):
            ax1.annotate(f"{y / 1000:.1f}k", (x, y), textcoords="offset points", xytext=(0, 6), ha="center",
                         fontsize=8)
        if all(p[2] is not None for p in points):
            rss = [float(p[2]) for p in points if p[2] is not None]
            ax2.plot(sizes, rss, marker="o", label=name)
            for x, y in zip(sizes, rss, strict=True):
                ax2.annotate(f"{y:.0f}", (x, y), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
    for ax, title, ylabel in ((ax1, "Throughput (end to end)", "records/s"),
                              (ax2, "Peak memory of the weave process", "peak RSS (MB)")):
        ax.set_xscale("log")
        ax.set_title(title)
        ax.set_xlabel("records per run (log scale)")
        ax.set_ylabel(ylabel)
        ax.set_ylim(bottom=0, top=ax.get_ylim()[1] * 1.12)  # room for the point labels
        ax.grid(True, alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python bench/chart.py RESULTS.jsonl OUT.png", file=sys.stderr)
        return 2
    records = []
    for line in Path(argv[0]).read_text().splitlines():
        line = line.strip()
        if line.startswith("{"):
            records.append(json.loads(line))
    draw_scaling(records, Path(argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
