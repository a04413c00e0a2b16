#!/usr/bin/env python3
"""Benchmarks for the core: answer accuracy (engine vs a plain rapidfuzz baseline), matching cost,
engine throughput with SQLite logging, and `bot.py ask` start-up. Prints figures; asserts nothing.

    python bench/bench_engine.py                 # everything
    python bench/bench_engine.py --only accuracy # one part: accuracy, matching, throughput, startup
"""
from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from rapidfuzz import process

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import load_settings  # noqa: E402
from bot.content import Content, Entry, load_content  # noqa: E402
from bot.engine import Engine, Thresholds  # noqa: E402
from bot.faq import ENTRY, INTENT, FaqIndex  # noqa: E402
from bot.i18n import I18n  # noqa: E402
from bot.messages import Incoming  # noqa: E402
from bot.storage import Storage  # noqa: E402
from bot.matching.normaliser import Normaliser  # noqa: E402

SETS = [ROOT.parent / "shared" / "eval" / "dev.txt", ROOT / "bench" / "heldout.tsv"]
BASELINE_CUTOFF = 70.0   # WRatio score under which the baseline says "I don't know"


def load_set(path: Path) -> list[tuple[str | None, str]]:
    """Read an `id<TAB>question` file ("-" = out of scope)."""
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#") and "\t" in line:
            label, question = line.split("\t", 1)
            items.append((None if label == "-" else label, question))
    return items


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) of values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def score(items: list[tuple[str | None, str]], answers: list[str | None]) -> str:
    """In-scope accuracy, wrong answers and out-of-scope rejection as one line."""
    inscope = [(w, g) for (w, _), g in zip(items, answers) if w is not None]
    outscope = [g for (w, _), g in zip(items, answers) if w is None]
    right = sum(w == g for w, g in inscope)
    wrong = sum(g is not None and g != w for w, g in inscope)
    rejected = sum(g is None for g in outscope)
    return (f"in-scope {right / max(len(inscope), 1):6.1%}  wrong {wrong / max(len(inscope), 1):5.1%}  "
            f"out-of-scope rejected {rejected / max(len(outscope), 1):6.1%}  (n={len(inscope)}+{len(outscope)})")


def engine_answers(engine: Engine, items: list[tuple[str | None, str]]) -> tuple[list[str | None], list[float]]:
    """What the engine answers (id or None) and the matching time per question in ms."""
    answers, times = [], []
    th = engine.thresholds
    for _, question in items:
        started = time.perf_counter()
        match = engine.index.match(engine.normaliser.normalise(question))
        times.append((time.perf_counter() - started) * 1000)
        label = match.label
        ok = label is not None and label.kind in (ENTRY, INTENT) and match.confidence >= th.answer
        answers.append(label.id if ok else None)
    return answers, times


def baseline_answers(content: Content, items: list[tuple[str | None, str]]) -> tuple[list[str | None], list[float]]:
    """Plain rapidfuzz.process.extractOne over the raw paraphrases (default WRatio and processor)."""
    choices, owners = [], []
    for entry in content.entries.values():
        for items_ in entry.paraphrases.values():
            choices += items_
            owners += [entry.id] * len(items_)
    for intent in content.intents.values():
        for items_ in intent.paraphrases.values():
            choices += items_
            owners += [intent.id] * len(items_)
    from rapidfuzz import utils
    answers, times = [], []
    for _, question in items:
        started = time.perf_counter()
        best = process.extractOne(question, choices, processor=utils.default_process, score_cutoff=BASELINE_CUTOFF)
        times.append((time.perf_counter() - started) * 1000)
        answers.append(owners[best[2]] if best else None)
    return answers, times


def bench_accuracy(engine: Engine) -> None:
    """Both engines on every labelled set, side by side."""
    print("== answer accuracy (answer threshold %.2f; baseline WRatio cutoff %d)"
          % (engine.thresholds.answer, BASELINE_CUTOFF))
    for path in SETS:
        if not path.is_file():
            continue
        items = load_set(path)
        ours, t_ours = engine_answers(engine, items)
        base, t_base = baseline_answers(engine.content, items)
        print(f"{path.name}:")
        print(f"  engine   {score(items, ours)}  match p50 {statistics.median(t_ours):.3f} ms"
              f"  p99 {percentile(t_ours, 99):.3f} ms")
        print(f"  baseline {score(items, base)}  match p50 {statistics.median(t_base):.3f} ms"
              f"  p99 {percentile(t_base, 99):.3f} ms")


def synthetic_content(content: Content, size: int, seed: int = 7) -> Content:
    """A content pack of `size` entries made by recombining the shipped paraphrases' words."""
    rng = random.Random(seed)
    words = sorted({w for e in content.entries.values() for ps in e.paraphrases.values() for p in ps
                    for w in p.split()})
    template = next(iter(content.entries.values()))
    entries: dict[str, Entry] = {}
    for i in range(size):
        paraphrases = tuple(" ".join(rng.choices(words, k=rng.randint(3, 9))) for _ in range(20))
        entries[f"e{i}"] = replace(template, id=f"e{i}", paraphrases={"vi": paraphrases}, related=(), guides=())
    return replace(content, entries=entries)


def bench_matching(engine: Engine, content: Content) -> None:
    """Matching cost per question on the shipped content and on a synthetic 1,000-entry FAQ."""
    questions = [q for path in SETS if path.is_file() for _, q in load_set(path)]
    normaliser = Normaliser(content.lexicon)
    for name, pack in (("shipped", content), ("synthetic 1,000 entries", synthetic_content(content, 1000))):
        started = time.perf_counter()
        index = FaqIndex(pack, normaliser)
        build = time.perf_counter() - started
        times = []
        for _ in range(3):
            for q in questions:
                norm = normaliser.normalise(q)
                t0 = time.perf_counter()
                index.match(norm)
                times.append((time.perf_counter() - t0) * 1000)
        print(f"== matching, {name}: {len(index.docs)} paraphrases, index built in {build * 1000:.0f} ms; "
              f"per question p50 {statistics.median(times):.3f} ms, p99 {percentile(times, 99):.3f} ms, "
              f"max {max(times):.3f} ms")


def bench_throughput(content: Content, i18n: I18n, settings_thresholds: Thresholds, n: int = 5000) -> None:
    """Whole engine with SQLite logging (real file, WAL), one thread."""
    questions = [q for path in SETS if path.is_file() for _, q in load_set(path)]
    with tempfile.TemporaryDirectory() as tmp:
        storage = Storage.open(str(Path(tmp) / "bench.db"))
        engine = Engine(content, i18n, storage, settings_thresholds)
        started = time.perf_counter()
        for i in range(n):
            engine.handle(Incoming("bench", str(i % 500), str(i % 500), text=questions[i % len(questions)]))
        elapsed = time.perf_counter() - started
        logged = storage.db["messages"].count
        storage.close()
    print(f"== engine throughput with SQLite logging: {n / elapsed:,.0f} messages/s on one thread "
          f"({n} messages, {logged} logged)")


def bench_startup(runs: int = 5) -> None:
    """Wall time of `python bot.py ask QUESTION`, start-up included."""
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        env = {"BOT_DB": str(Path(tmp) / "s.db"), "PATH": "/usr/bin:/bin"}
        for _ in range(runs):
            started = time.perf_counter()
            subprocess.run([sys.executable, str(ROOT / "bot.py"), "ask", "cài bluezone"], env=env,
                           capture_output=True, check=True, cwd=ROOT)
            times.append(time.perf_counter() - started)
    print(f"== `bot.py ask` start-up: median {statistics.median(times):.2f} s, max {max(times):.2f} s ({runs} runs)")


def main() -> None:
    """Run the chosen benchmarks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["accuracy", "matching", "throughput", "startup"])
    args = parser.parse_args()
    settings = load_settings({})
    content = load_content(settings.content_dir, settings.intents_dir)
    i18n = I18n(settings.locales_dir)
    thresholds = Thresholds(settings.answer_threshold, settings.suggest_threshold)
    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine(content, i18n, Storage.open(str(Path(tmp) / "acc.db")), thresholds)
        if args.only in (None, "accuracy"):
            bench_accuracy(engine)
        if args.only in (None, "matching"):
            bench_matching(engine, content)
    if args.only in (None, "throughput"):
        bench_throughput(content, i18n, thresholds)
    if args.only in (None, "startup"):
        bench_startup()


if __name__ == "__main__":
    main()
