#!/usr/bin/env python3
"""Benchmarks for the install campaign at province scale: demo fill, logging visits through the engine,
reports by commune and village, and the Excel file with every raw visit. Prints figures; asserts nothing.

    python bench/bench_campaign.py                      # 300,000 households, 2,000 visits logged
    python bench/bench_campaign.py --households 50000 --visits 500
Targets (issue 4): logging >= 500 visits/s; report by commune < 0.5 s, by village < 1 s;
xlsx with all raw visits < 60 s and < 500 MB.
"""
from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from openpyxl import LXML  # noqa: E402

from bot.campaign.demo import fill_demo  # noqa: E402
from bot.campaign.visits import Visits  # noqa: E402
from bot.clock import vietnam_now  # noqa: E402
from bot.content.loader import load_content  # noqa: E402
from bot.core.engine import Engine, Thresholds  # noqa: E402
from bot.core.messages import Incoming  # noqa: E402
from bot.i18n import I18n  # noqa: E402
from bot.reports.exports import export_titles, write_xlsx  # noqa: E402
from bot.reports.service import ReportService  # noqa: E402
from bot.storage.campaign_store import CampaignStore  # noqa: E402
from bot.storage.database import Storage  # noqa: E402

TEAM = 200   # members logging in the benchmark, spread over villages


def bench_fill(db: Path, households: int) -> CampaignStore:
    """Fill a fresh database with the demo campaign and time it."""
    store = CampaignStore(Storage.open(str(db)))
    started = time.perf_counter()
    made = fill_demo(store, households)
    seconds = time.perf_counter() - started
    print(f"demo fill: {made['households']:,} households, {made['visits']:,} visits, {made['villages']:,} villages,"
          f" {made['members']:,} members in {seconds:.1f} s ({made['visits'] / seconds:,.0f} visits/s)")
    return store


def bench_reports(store: CampaignStore, repeat: int = 5) -> None:
    """Time whole reports (tree load, grouped queries, rows) by district, commune and village."""
    service = ReportService(store)
    for by, target in (("district", None), ("commune", 0.5), ("village", 1.0)):
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            rows, total = service.figures(None, by)
            times.append(time.perf_counter() - started)
        note = f" (target < {target} s)" if target else ""
        print(f"report by {by}: {len(rows):,} rows, median {statistics.median(times):.3f} s,"
              f" worst {max(times):.3f} s{note}")
    started = time.perf_counter()
    day = vietnam_now().date().isoformat()
    service.figures(None, "village", day, day)
    print(f"report by village for one day: {time.perf_counter() - started:.3f} s")


def bench_logging(store: CampaignStore, visits: int) -> None:
    """Log visits through the engine: the quick form, then Save; one transaction per visit."""
    i18n = I18n(ROOT / "locales")
    content = load_content(ROOT / "faq", ROOT / "intents")
    engine = Engine(content, i18n, store.storage, Thresholds(), features=(Visits(store, i18n, vietnam_now),))
    villages = [a for a in store.all_areas() if a.level == "village"]
    for n in range(TEAM):
        store.set_member(f"bench:{n}", villages[n % len(villages)].id, "member")
    started = time.perf_counter()
    for n in range(visits):
        user = str(n % TEAM)
        engine.handle(Incoming("bench", user, user, text=f"/ghi Nhà thử {n} 5 3 1 2"))
        engine.handle(Incoming("bench", user, user, payload="v:save"))
    seconds = time.perf_counter() - started
    logged = store.storage.db.execute("SELECT COUNT(*) FROM visits WHERE user_key LIKE 'bench:%'").fetchone()[0]
    print(f"logging through the engine: {visits:,} visits ({logged:,} stored) in {seconds:.1f} s,"
          f" {visits / seconds:,.0f} visits/s (target >= 500/s)")


def export_child(db: str, out: str) -> None:
    """In a fresh process, so that its peak memory is the export's own: write the xlsx, print JSON."""
    store = CampaignStore(Storage.open(db))
    service = ReportService(store)
    i18n = I18n(ROOT / "locales")
    started = time.perf_counter()
    rows, total = service.figures(None, "village")
    titles = export_titles(i18n, "vi", total.area.name, None, None, vietnam_now())
    count = write_xlsx(out, rows, total, service.raw_rows(None), titles, "village")
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "raw": count, "rows": len(rows), "peak_mb": peak_mb(),
                      "size_mb": Path(out).stat().st_size / 2 ** 20, "lxml": LXML}))


def peak_mb() -> float:
    """This process's peak resident memory. VmHWM belongs to the process image, so it starts afresh in the
    child; ru_maxrss would carry the parent's peak at fork time (the demo fill's) into it."""
    try:
        status = Path("/proc/self/status").read_text()
        return int(status.split("VmHWM:")[1].split()[0]) / 1024
    except (OSError, IndexError, ValueError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # kB on Linux, bytes on macOS


def bench_export(db: Path) -> None:
    """The xlsx with every raw visit: time and the process's peak memory."""
    out = db.with_suffix(".xlsx")
    done = subprocess.run([sys.executable, __file__, "--export-child", str(db), str(out)], capture_output=True,
                          text=True)
    if done.returncode:
        print("xlsx export failed:\n" + done.stderr)
        return
    r = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"openpyxl writes with {'lxml' if r['lxml'] else 'the standard library (lxml not installed: slower)'}")
    print(f"xlsx export: {r['raw']:,} raw visits + {r['rows']:,} village rows in {r['seconds']:.1f} s"
          f" (target < 60 s), peak memory {r['peak_mb']:.0f} MB (target < 500 MB), file {r['size_mb']:.1f} MB")


def main() -> None:
    """Run every part on a fresh database in a temporary folder."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=300_000)
    parser.add_argument("--visits", type=int, default=2_000, help="visits logged through the engine")
    parser.add_argument("--export-child", nargs=2, metavar=("DB", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_child:
        export_child(*args.export_child)
        return
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "campaign.db"
        store = bench_fill(db, args.households)
        bench_reports(store)
        bench_logging(store, args.visits)
        bench_export(db)
        store.storage.close()


if __name__ == "__main__":
    main()
