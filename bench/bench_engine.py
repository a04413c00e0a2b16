#!/usr/bin/env python3
"""Benchmarks for the core: answer accuracy of the shipped matcher beside a TF-IDF + logistic-regression peer and
plain rapidfuzz on every labelled set, matching cost (shipped content and 1,000 synthetic entries), the refit after
an admin's edit while chat is answered, engine throughput with SQLite logging, and `bot.py ask` start-up.
Prints figures; asserts nothing.

    python bench/bench_engine.py                    # everything (the 1,000-entry fit takes a few minutes)
    python bench/bench_engine.py --only accuracy    # one part: accuracy, matching, refit, throughput, startup
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import load_settings  # noqa: E402
from bot.content.loader import Content, Entry, load_content  # noqa: E402
from bot.core.engine import Engine  # noqa: E402
from bot.core.messages import Incoming  # noqa: E402
from bot.i18n import I18n  # noqa: E402
from bot.matching.build import build_matcher, normaliser_for  # noqa: E402
from bot.matching.cache import ModelCache  # noqa: E402
from bot.matching.decision import Answerable, Thresholds, decide  # noqa: E402
from bot.matching.evaluate import (  # noqa: E402
    Item,
    Report,
    Result,
    calibrate,
    read_items,
    report,
    run,
)
from bot.matching.labels import Label, Match  # noqa: E402
from bot.matching.training import sources  # noqa: E402
from bot.storage.database import Storage  # noqa: E402

SETS = [ROOT.parent / "shared" / "eval" / "dev.txt", ROOT / "bench" / "heldout.tsv", ROOT / "eval" / "tune.tsv",
        ROOT / "eval" / "final.tsv", ROOT / "eval" / "final2.tsv"]
CALIBRATION_SET = ROOT / "eval" / "tune.tsv"
ANSWER = load_settings({}).answer_threshold
BASELINE_CUTOFF = 70.0   # WRatio score under which the rapidfuzz baseline says "I don't know"


def line(rep: Report) -> str:
    """In-scope accuracy, wrong answers and off-topic declined as one line."""
    return (f"right {rep.accuracy:6.1%}  wrong {rep.wrong_rate:5.1%} ({rep.wrong:2})  declined {rep.declined_rate:6.1%}"
            f"  (n={rep.in_scope}+{rep.off_topic})")


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) of values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


class Peer:
    """The peer measured in issue 10: TfidfVectorizer (char_wb 2-5 + word 1-2 over our normaliser's output) with
    LogisticRegression on the shipped paraphrases, untuned; it declines below a probability threshold."""

    def __init__(self, content: Content) -> None:
        from scipy.sparse import hstack
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        self.normaliser = normaliser_for(content)
        self.labels: list[Label] = []
        texts, targets = [], []
        for target, source in enumerate(sources(content)):
            self.labels.append(source.label)
            for _, text in source.paraphrases:
                texts.append(self.normaliser.normalise(text).text)
                targets.append(target)
        self.chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)
        self.words = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True)
        self._stack = hstack
        matrix = hstack([self.chars.fit_transform(texts), self.words.fit_transform(texts)]).tocsr()
        self.model = LogisticRegression(max_iter=2000).fit(matrix, targets)

    def understand(self, text: str) -> Match:
        """The peer's verdict in the shipped matcher's terms."""
        norm = self.normaliser.normalise(text).text
        row = self._stack([self.chars.transform([norm]), self.words.transform([norm])]).tocsr()
        probs = self.model.predict_proba(row)[0]
        order = probs.argsort()[::-1][:5]
        top = tuple((self.labels[self.model.classes_[i]], float(probs[i])) for i in order)
        return Match(top[0][0], top[0][1], top)


def rapidfuzz_answers(content: Content, items: list[Item]) -> list[Result]:
    """Plain rapidfuzz.process.extractOne over the raw paraphrases (default WRatio and processor)."""
    from rapidfuzz import process, utils

    choices, owners = [], []
    for entry in content.entries.values():
        for texts in entry.paraphrases.values():
            choices += texts
            owners += [entry.id] * len(texts)
    for intent in content.intents.values():
        for texts in intent.paraphrases.values():
            choices += texts
            owners += [intent.id] * len(texts)
    results = []
    for item in items:
        best = process.extractOne(item.question, choices, processor=utils.default_process,
                                  score_cutoff=BASELINE_CUTOFF)
        answered = owners[best[2]] if best else None
        results.append(Result(item, answered, "answered" if answered else "unanswered", 0.0, answered))
    return results


def bench_accuracy(content: Content, thresholds: Thresholds) -> None:
    """The shipped matcher, the TF-IDF peer and rapidfuzz on every labelled set, side by side."""
    matcher = build_matcher(content, ModelCache(Path(tempfile.mkdtemp(prefix="bench-cache-"))))
    answerable = Answerable(content)
    peer = Peer(content)
    # The peer's decline threshold comes from the same calibration as ours, on the same tuning set.
    tune = read_items(CALIBRATION_SET)
    wide_open = Thresholds(0.0, 0.0)
    peer_thresholds = calibrate(run(tune, peer.understand, lambda m: decide(m, wide_open, answerable)))
    print(f"== answer accuracy; shipped thresholds {thresholds.answer:.2f}/{thresholds.suggest:.2f}, TF-IDF peer "
          f"{peer_thresholds.answer:.2f} (both calibrated on {CALIBRATION_SET.name}); rapidfuzz WRatio cutoff "
          f"{BASELINE_CUTOFF:.0f}")
    for path in SETS:
        if not path.is_file():
            continue
        items = read_items(path)
        ours = report(run(items, lambda q: matcher.understand(q, thresholds.answer)[1],
                          lambda m: decide(m, thresholds, answerable)))
        theirs = report(run(items, peer.understand, lambda m: decide(m, peer_thresholds, answerable)))
        fuzzy = report(rapidfuzz_answers(content, items))
        print(f"{path.parent.name}/{path.name}:")
        print(f"  shipped matcher  {line(ours)}   to 'Có phải bạn muốn hỏi' {ours.suggested_rate:5.1%}")
        print(f"  TF-IDF + LR peer {line(theirs)}")
        print(f"  rapidfuzz        {line(fuzzy)}")
        if ours.confused:
            print("  confused (expected → answered): "
                  + ", ".join(f"{g}→{a}×{n}" for g, a, n in ours.confused[:6]))


def synthetic_content(content: Content, size: int, seed: int = 7) -> Content:
    """A content pack of `size` entries made by recombining the shipped paraphrases' words."""
    rng = random.Random(seed)
    words = sorted({w for e in content.entries.values() for ps in e.paraphrases.values() for p in ps
                    for w in p.split()})
    template = next(iter(content.entries.values()))
    entries: dict[str, Entry] = {}
    for i in range(size):
        paraphrases = tuple(" ".join(rng.choices(words, k=rng.randint(3, 9))) for _ in range(20))
        entries[f"e{i}"] = replace(template, id=f"e{i}", paraphrases={"vi": paraphrases}, related=(), guides=(),
                                   title={"vi": f"Mục {i}"})
    return replace(content, entries=entries)


def bench_matching(content: Content, synthetic: int) -> None:
    """Matching cost per question (normalising included) on the shipped content and a synthetic large FAQ."""
    questions = [item.question for path in SETS if path.is_file() for item in read_items(path)]
    packs = [("shipped", content)] + ([(f"synthetic {synthetic:,} entries", synthetic_content(content, synthetic))]
                                      if synthetic else [])
    for name, pack in packs:
        started = time.perf_counter()
        matcher = build_matcher(pack, ModelCache(None))
        fitted = time.perf_counter() - started
        for q in questions[:50]:      # warm the normaliser's caches as a running bot has them
            matcher.understand(q, ANSWER)
        times = []
        for _ in range(3):
            for q in questions:
                t0 = time.perf_counter()
                matcher.understand(q, ANSWER)
                times.append((time.perf_counter() - t0) * 1000)
        coef = matcher.model.coef
        print(f"== matching, {name}: {len(matcher.labels)} labels, {coef.shape[0]:,} features, model "
              f"{coef.nbytes / 2**20:.0f} MiB, fitted in {fitted:.1f} s; per question p50 "
              f"{statistics.median(times):.3f} ms, p99 {percentile(times, 99):.3f} ms, max {max(times):.3f} ms")


def bench_refit(content: Content, i18n: I18n, thresholds: Thresholds, rate: float = 100.0) -> None:
    """An admin adds a paraphrase: the refit runs on a thread while the chat keeps being answered (at `rate`
    messages a second, a busy province), and once with no chat at all."""
    questions = [item.question for item in read_items(CALIBRATION_SET)]
    battery = content.entries["battery"]
    with tempfile.TemporaryDirectory() as tmp:
        storage = Storage.open(str(Path(tmp) / "refit.db"))
        engine = Engine(content, i18n, storage, thresholds, cache=ModelCache(Path(tmp) / "cache"))
        for run, paced in enumerate((False, True)):
            added = (f"máy nóng ran từ khi cài app {run}",)
            more = {**battery.paraphrases, "vi": battery.paraphrases["vi"] + added}
            edited = replace(content, entries={**content.entries, "battery": replace(battery, paraphrases=more)})
            before = engine.matcher
            started = time.perf_counter()
            engine.load(edited)
            latencies: list[float] = []
            while engine.matcher is before and time.perf_counter() - started < 60:
                if not paced:
                    time.sleep(0.005)
                    continue
                t0 = time.perf_counter()
                n = len(latencies)
                engine.handle(Incoming("bench", str(n % 50), str(n % 50), text=questions[n % len(questions)]))
                latencies.append((time.perf_counter() - t0) * 1000)
                time.sleep(max(0.0, 1 / rate - (time.perf_counter() - t0)))
            refit = time.perf_counter() - started
            if paced:
                print(f"== refit after an admin's edit, chat answered at {rate:.0f} messages/s meanwhile: new matcher "
                      f"in use after {refit:.2f} s; {len(latencies)} messages answered by the previous one, p50 "
                      f"{statistics.median(latencies):.2f} ms, p99 {percentile(latencies, 99):.2f} ms")
            else:
                print(f"== refit after an admin's edit, no chat meanwhile: new matcher in use after {refit:.2f} s")
        storage.close()


def bench_throughput(content: Content, i18n: I18n, thresholds: Thresholds, n: int = 5000) -> None:
    """Whole engine with SQLite logging (real file, WAL), one thread."""
    questions = [item.question for path in SETS if path.is_file() for item in read_items(path)]
    with tempfile.TemporaryDirectory() as tmp:
        storage = Storage.open(str(Path(tmp) / "bench.db"))
        engine = Engine(content, i18n, storage, thresholds, cache=ModelCache(Path(tmp) / "cache"))
        started = time.perf_counter()
        for i in range(n):
            engine.handle(Incoming("bench", str(i % 500), str(i % 500), text=questions[i % len(questions)]))
        elapsed = time.perf_counter() - started
        logged = storage.db["messages"].count
        storage.close()
    print(f"== engine throughput with SQLite logging: {n / elapsed:,.0f} messages/s on one thread "
          f"({n} messages, {logged} logged)")


def bench_startup(runs: int = 5) -> None:
    """Wall time of `python bot.py ask QUESTION`, start-up included: the first with no fitted model kept, then
    with the model from the cache (as every start after the first)."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {"BOT_DB": str(Path(tmp) / "s.db"), "BOT_CACHE_DIR": str(Path(tmp) / "cache"), "PATH": "/usr/bin:/bin"}
        times = []
        for _ in range(runs + 1):
            started = time.perf_counter()
            subprocess.run([sys.executable, str(ROOT / "bot.py"), "ask", "cài bluezone"], env=env,
                           capture_output=True, check=True, cwd=ROOT)
            times.append(time.perf_counter() - started)
    cold, warm = times[0], times[1:]
    print(f"== `bot.py ask` start-up: first run (fits and keeps the model) {cold:.2f} s; then median "
          f"{statistics.median(warm):.2f} s, max {max(warm):.2f} s ({runs} runs)")


def main() -> None:
    """Run the chosen benchmarks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["accuracy", "matching", "refit", "throughput", "startup"])
    parser.add_argument("--synthetic", type=int, default=1000, help="entries of the synthetic FAQ (0: skip it)")
    args = parser.parse_args()
    settings = load_settings({})
    content = load_content(settings.content_dir, settings.intents_dir)
    i18n = I18n(settings.locales_dir)
    thresholds = Thresholds(settings.answer_threshold, settings.suggest_threshold)
    if args.only in (None, "accuracy"):
        bench_accuracy(content, thresholds)
    if args.only in (None, "refit"):
        bench_refit(content, i18n, thresholds)
    if args.only in (None, "throughput"):
        bench_throughput(content, i18n, thresholds)
    if args.only in (None, "startup"):
        bench_startup()
    if args.only in (None, "matching"):
        bench_matching(content, args.synthetic)


if __name__ == "__main__":
    main()
