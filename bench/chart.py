"""Scaling chart: throughput and peak memory at three sizes for the ETL and bus paths."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def draw_scaling(records: list[dict[str, Any]], out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series: dict[str, list[tuple[float, float, float | None]]] = {}
    for record in records:
        if not str(record.get("name", "")).endswith(".scaling"):
            continue
        for point in record["detail"].get("points", []):
            series.setdefault(record["name"], []).append(
                (float(point["size"]), float(point["throughput"]), point.get("peak_rss_mb")))
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    for name, points in sorted(series.items()):
        points.sort()
        sizes = [p[0] for p in points]
        ax1.plot(sizes, [p[1] for p in points], marker="o", label=name)
        if all(p[2] is not None for p in points):
            ax2.plot(sizes, [p[2] for p in points], marker="o", label=name)
    for ax, title, ylabel in ((ax1, "Throughput", "records/s"), (ax2, "Peak memory", "RSS (MB)")):
        ax.set_xscale("log")
        ax.set_title(title)
        ax.set_xlabel("records (log scale)")
        ax.set_ylabel(ylabel)
        ax.grid(True, alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    return out
