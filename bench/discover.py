"""Benchmark discovery: scan a generated leaked CSV and compare with the csv module merely reading it.

    .venv/bin/python bench/discover.py --mb 200 --runs 3

Prints JSON: mb_per_s (scan), baseline_mb_per_s (csv.reader iterating the same file), ratio (median
of scan/baseline measured pairwise, one right after the other, so a busy machine hurts both) and
peak_rss_mb (the scanning process's peak resident memory). Each measurement runs in a fresh
process; the file lives in a temporary folder that is deleted afterwards.
"""

from __future__ import annotations

import argparse
import base64
import csv
import json
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from breach.discover import synthetic  # noqa: E402 - after the sys.path line, so the script runs from anywhere

_CHILD = r"""
import csv, json, resource, sys, time
from pathlib import Path
path, mode = Path(sys.argv[1]), sys.argv[2]
if mode != "baseline":
    sys.path.insert(0, sys.argv[3])
    from breach.discover import discover  # imports are not part of the scan (the baseline's csv is imported too)
started, cpu = time.perf_counter(), time.process_time()
if mode == "baseline":
    csv.field_size_limit(64 * 1024 * 1024)
    with path.open(newline="", encoding="utf-8") as f:
        for _ in csv.reader(f):
            pass
    summary = {}
else:
    report = discover(path)
    summary = {"categories": report.categories, "subjects_affected": report.subjects()[0], "records": report.records}
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  **summary}))
"""


def generate(path: Path, mb: float, *, seed: int = 7) -> int:
    """Write an invented customer table of about `mb` megabytes; returns the number of rows."""
    rng = random.Random(seed)
    target = int(mb * 1024 * 1024)
    rows = 0
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        header = list(synthetic.person(rng, 0))
        writer.writerow(header)
        while f.tell() < target:
            batch = []
            for _ in range(2000):
                record = synthetic.person(rng, rows, hash_text=base64.b64encode(rng.randbytes(40)).decode()[:53])
                batch.append([record[h] for h in header])
                rows += 1
            writer.writerows(batch)
    return rows


def measure(path: Path, mode: str) -> dict:
    """Run one measurement in a fresh interpreter."""
    out = subprocess.run([sys.executable, "-c", _CHILD, str(path), mode, str(REPO)], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def main() -> None:
    """Generate, measure, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=200.0, help="size of the generated CSV in MB (default 200)")
    parser.add_argument("--runs", type=int, default=3, help="measurement pairs; medians are reported (default 3)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="breach-bench-") as tmp:
        path = Path(tmp) / "leak.csv"
        rows = generate(path, args.mb)
        size_mb = path.stat().st_size / 1024 / 1024
        pairs, cpu_ratios = [], []
        for _ in range(args.runs):
            base = measure(path, "baseline")
            scan = measure(path, "scan")
            pairs.append((size_mb / base["seconds"], size_mb / scan["seconds"], scan))
            cpu_ratios.append(base["cpu_seconds"] / scan["cpu_seconds"])
    scan_speeds = [s for _, s, _ in pairs]
    base_speeds = [b for b, _, _ in pairs]
    last = pairs[-1][2]
    print(json.dumps({
        "file_mb": round(size_mb, 1), "rows": rows, "runs": args.runs,
        "mb_per_s": round(statistics.median(scan_speeds), 2), "baseline_mb_per_s": round(statistics.median(base_speeds), 2),
        "ratio": round(statistics.median(s / b for b, s, _ in pairs), 3),
        "ratios": [round(s / b, 3) for b, s, _ in pairs],
        "ratio_cpu": round(statistics.median(c for c in cpu_ratios), 3),
        "peak_rss_mb": round(max(p[2]["peak_rss_mb"] for p in pairs), 1),
        "goal_met": statistics.median(s / b for b, s, _ in pairs) >= 0.33 and max(p[2]["peak_rss_mb"] for p in pairs) < 300,
        "categories": last["categories"], "subjects_affected": last["subjects_affected"], "records": last["records"],
    }, indent=2))


if __name__ == "__main__":
    main()
