"""`bot.py eval FILE… [-v] [--json] [--calibrate]`: how well the bot answers labelled questions."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable

from bot.core.engine import Engine
from bot.i18n import I18n
from bot.matching.decision import Thresholds, decide
from bot.matching.evaluate import (
    EvalFileError,
    Report,
    Result,
    calibrate,
    read_items,
    report,
    run,
)


def add_parser(modes: argparse._SubParsersAction) -> None:
    """The `eval` command."""
    ev = modes.add_parser("eval", help="measure answers on labelled questions (id<TAB>question; '-' = off-topic)")
    ev.add_argument("files", nargs="+", type=Path, metavar="FILE", help="one or more id<TAB>question files")
    ev.add_argument("-v", "--verbose", action="store_true", help="also list every miss")
    ev.add_argument("--json", action="store_true", help="the figures as one JSON object per file")
    ev.add_argument("--calibrate", action="store_true",
                    help="print the thresholds that give 98%% precision on these questions")
    ev.add_argument("--min-in", type=float, default=0.0, help="exit 1 if in-scope accuracy is below this (0..1)")
    ev.add_argument("--max-wrong", type=float, default=1.0, help="exit 1 if the wrong-answer rate is above this")
    ev.add_argument("--min-out", type=float, default=0.0, help="exit 1 if off-topic declined is below this")


def run_eval(args: argparse.Namespace, engine: Engine, i18n: I18n, lang: str) -> int:
    """Evaluate each file; 0 when every floor holds, 1 when one does not, 2 when a file cannot be read."""
    t: Callable[..., str] = lambda key, **v: i18n.t(lang, key, **v)  # noqa: E731
    known = lambda i: i in engine.content.entries or i in engine.content.intents  # noqa: E731
    status = 0
    everything: list[Result] = []
    for path in args.files:
        try:
            items = read_items(path, known)
        except OSError:
            print(t("eval.unreadable", file=path), file=sys.stderr)
            return 2
        except EvalFileError as error:
            print(t("eval.bad_line", file=path, line=error.line, reason=t(error.reason, id=error.id)), file=sys.stderr)
            return 2
        results = run(items, lambda q: engine.matcher.understand(q, engine.thresholds.answer)[1], engine.decide)
        everything += results
        rep = report(results)
        if args.json:
            print(json.dumps({"file": str(path), **rep.as_dict(), "misses": _misses(results)}, ensure_ascii=False))
        else:
            _print(path, rep, results, args.verbose, t, i18n, lang)
        if rep.accuracy < args.min_in or rep.wrong_rate > args.max_wrong or rep.declined_rate < args.min_out:
            print(t("eval.below_floor", file=path), file=sys.stderr)
            status = 1
    if args.calibrate:
        matcher = engine.matcher
        open_ = Thresholds(0.0, 0.0)
        raw = run([r.item for r in everything], lambda q: matcher.understand(q, engine.thresholds.answer)[1],
                  lambda m: decide(m, open_, engine.answerable))
        found = calibrate(raw)
        print(t("eval.calibrated", answer=f"{found.answer:.3f}", suggest=f"{found.suggest:.3f}"))
    return status


def _misses(results: list[Result]) -> list[dict[str, object]]:
    return [{"line": r.item.line, "expected": r.item.gold or "-", "answered": r.answered, "outcome": r.outcome,
             "best": r.best, "confidence": r.confidence, "question": r.item.question}
            for r in results if not r.right]


def _print(path: Path, rep: Report, results: list[Result], verbose: bool, t: Callable[..., str], i18n: I18n,
           lang: str) -> None:
    pct = lambda x: i18n.percent(lang, x)  # noqa: E731
    print(t("eval.header", file=path, inside=rep.in_scope, outside=rep.off_topic))
    print(t("eval.figures", right=pct(rep.accuracy), wrong=pct(rep.wrong_rate), wrong_n=rep.wrong,
            declined=pct(rep.declined_rate), suggested=pct(rep.suggested_rate), offered=rep.suggested_right,
            suggested_n=rep.suggested))
    print(t("eval.per_label"))
    for label, (precision, recall, support) in rep.per_label.items():
        print(f"  {label:24} {pct(precision):>7} {pct(recall):>7} {support:>4}")
    if rep.confused:
        print(t("eval.confused"))
        for gold, answered, count in rep.confused:
            print(f"  {gold} → {answered} ×{count}")
    if verbose:
        print(t("eval.misses"))
        for miss in _misses(results):
            print(f"  {miss['line']:>4}  {miss['expected']} → {miss['answered'] or '–'} ({miss['outcome']}, "
                  f"{miss['best']} {miss['confidence']:.2f})  {miss['question']}")
    print()
