"""The benchmark's output: a table on the terminal, `bench.json`, `table.md` (pasted into docs/performance.md)
and `chart.png` (throughput and p99 latency per workload). It computes ratios but never judges a figure."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

COLUMNS = (
    ("server", "server"),
    ("workload", "workload"),
    ("c", "concurrency"),
    ("requests", "requests"),
    ("s", "seconds"),
    ("req/s", "rate"),
    ("p50 ms", "p50_ms"),
    ("p90 ms", "p90_ms"),
    ("p99 ms", "p99_ms"),
    ("errors", "errors"),
    ("host CPU", "server_cpu_cores"),
    ("req per host CPU-s", "requests_per_cpu_second"),
    ("db CPU", "db_cpu_cores"),
    ("client CPU", "client_cpu_cores"),
    ("other CPU", "other_cpu_cores"),
    ("peak RSS MiB (all / per proc)", "rss"),
)


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    memory_kib = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
    }


def _cell(row: dict[str, Any], key: str) -> str:
    if key == "rss":
        return f"{row['peak_rss_mib']:.0f} / {row['peak_rss_per_process_mib']:.0f}"
    value = row[key]
    if isinstance(value, float):
        return f"{value:,.2f}" if key.endswith("_cores") or key.endswith("_ms") else f"{value:,.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def print_table(results: dict[str, Any], console: Console) -> None:
    table = Table(title="ecmahost benchmark")
    for title, _ in COLUMNS:
        table.add_column(title, justify="left" if title in ("server", "workload") else "right")
    for row in results["workloads"]:
        table.add_row(*(_cell(row, key) for _, key in COLUMNS))
    console.print(table)
    for line in summary_lines(results):
        console.print(line)


def summary_lines(results: dict[str, Any]) -> list[str]:
    lines = [f"- {key}: {value}" for key, value in results["host"].items()]
    lines += [f"- pgbench {p['workload']} (c={p['clients']}): {p['tps']:,.0f} tps" for p in results["pgbench"]]
    lines += [f"- ratio {key}: {value:.1%}" for key, value in results["ratios"].items()]
    for workload, servers in results.get("relay_latency", {}).items():
        (direct, first), *paths = servers.items()  # the direct host first, then the relay paths
        lines.append(f"- {direct}, {workload}, 1 connection: p50 {first['p50_ms']:.2f}, p99 {first['p99_ms']:.2f} ms")
        lines += [
            f"- {server}, {workload}, 1 connection: p50 {row['p50_ms']:.2f} ms (added {row['added_p50_ms']:+.2f} ms), "
            f"p99 {row['p99_ms']:.2f} ms (added {row['added_p99_ms']:+.2f} ms)"
            for server, row in paths
        ]
    return lines


def markdown_table(results: dict[str, Any]) -> str:
    head = "| " + " | ".join(title for title, _ in COLUMNS) + " |"
    rule = "|" + "|".join("---" for _ in COLUMNS) + "|"
    rows = ["| " + " | ".join(_cell(row, key) for _, key in COLUMNS) + " |" for row in results["workloads"]]
    return "\n".join([head, rule, *rows, "", *summary_lines(results), ""])


def write_json(results: dict[str, Any], out: Path) -> Path:
    path = out / "bench.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    (out / "table.md").write_text(markdown_table(results))
    return path


def draw_chart(results: dict[str, Any], out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = results["workloads"]
    labels = [f"{row['server']}\n{row['workload']}" for row in rows]
    figure, (rates, latencies) = plt.subplots(2, 1, figsize=(12, 8), sharex=True)
    positions = range(len(rows))
    colors = ["tab:blue" if row["server"] == "ecmahost" else "tab:gray" for row in rows]
    rates.bar(positions, [row["rate"] for row in rows], color=colors)
    rates.set_ylabel("requests/s (log)")
    rates.set_yscale("log")
    rates.set_title(f"ecmahost, {results['options']['size']:,} users, c={results['options']['concurrency']}, TLS")
    for key, color in (("p99_ms", "tab:red"), ("p90_ms", "tab:orange"), ("p50_ms", "tab:green")):
        latencies.bar(positions, [row[key] for row in rows], color=color, label=key.removesuffix("_ms"))
    latencies.set_ylabel("latency ms (log)")
    latencies.set_yscale("log")
    latencies.legend()
    latencies.set_xticks(list(positions), labels, rotation=60, ha="right", fontsize=8)
    figure.tight_layout()
    path = out / "chart.png"
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
