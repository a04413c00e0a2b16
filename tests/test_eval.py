"""`bot.py eval`: the figures, the misses, the floors, calibration, and bad files explained."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.config import ROOT
from bot.matching.decision import Thresholds
from bot.matching.evaluate import Item, Result, calibrate, report

SAMPLE = ("# a comment\nbattery\tbluezone có tốn pin không\ninstall_ios\tcài bluezone trên iphone\n"
          "-\tgiá vàng hôm nay bao nhiêu\nbattery\tcài bluezone trên iphone\n")


def run_eval(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "BOT_DB": str(tmp_path / "bot.db"), "BOT_CACHE_DIR": str(tmp_path / "cache")}
    return subprocess.run([sys.executable, str(ROOT / "bot.py"), "eval", *args], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)


def test_eval_prints_figures_misses_and_json(tmp_path: Path) -> None:
    questions = tmp_path / "q.tsv"
    questions.write_text(SAMPLE, encoding="utf-8")
    out = run_eval(tmp_path, str(questions), "-v")
    assert out.returncode == 0, out.stderr
    assert "3 câu trong phạm vi, 1 câu ngoài phạm vi" in out.stdout
    assert "66,7%" in out.stdout and "battery → install_ios ×1" in out.stdout
    assert "5  battery → install_ios" in out.stdout          # the miss, by line number
    figures = json.loads(run_eval(tmp_path, str(questions), "--json").stdout)
    assert figures["accuracy"] == 0.6667 and figures["wrong_rate"] == 0.3333 and figures["declined_rate"] == 1.0
    assert figures["misses"][0]["line"] == 5 and figures["per_label"]["install_ios"]["precision"] == 0.5


def test_eval_floors_fail_the_run(tmp_path: Path) -> None:
    questions = tmp_path / "q.tsv"
    questions.write_text(SAMPLE, encoding="utf-8")
    assert run_eval(tmp_path, str(questions), "--min-in", "0.6").returncode == 0
    low = run_eval(tmp_path, str(questions), "--max-wrong", "0.1")
    assert low.returncode == 1 and "thấp hơn mức tối thiểu" in low.stderr


def test_a_bad_file_is_explained_in_vietnamese(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("battery bluezone có tốn pin không\n", encoding="utf-8")
    out = run_eval(tmp_path, str(bad))
    assert out.returncode == 2 and "dòng 1" in out.stderr and "Tab" in out.stderr and "Traceback" not in out.stderr
    bad.write_text("no_such_entry\tcâu hỏi\n", encoding="utf-8")
    assert "không có mục nào mang mã no_such_entry" in run_eval(tmp_path, str(bad)).stderr
    missing = run_eval(tmp_path, str(tmp_path / "none.tsv"))
    assert missing.returncode == 2 and "Không đọc được tệp" in missing.stderr


def result(gold: str | None, answered: str | None, confidence: float) -> Result:
    return Result(Item(gold, "q", 1), answered, "answered" if answered else "unanswered", confidence, answered,
                  top=(answered or "x", "a"))


def test_calibration_picks_the_lowest_threshold_with_the_precision_asked() -> None:
    results = [result("a", "a", c) for c in (0.9, 0.8, 0.7, 0.6, 0.5)] + [result("a", "b", 0.55),
                                                                          result(None, "a", 0.3)]
    found = calibrate(results, target_precision=0.98)
    assert found == Thresholds(0.6, 0.3)       # below 0.6 a wrong answer comes in; "a" is in every top three
    assert calibrate(results, target_precision=0.8).answer == 0.5


def test_calibration_takes_or_leaves_a_group_of_equal_confidences_whole() -> None:
    results = [result("a", "a", 0.9) for _ in range(98)] + [result("a", "a", 0.5)] + [result("a", "b", 0.5)] * 5
    assert calibrate(results, target_precision=0.98).answer == 0.9       # 0.5 would let five wrong answers in


def test_a_file_saved_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    questions = tmp_path / "bom.tsv"
    questions.write_bytes("\ufeffbattery\tbluezone có tốn pin không\n".encode("utf-8"))
    assert run_eval(tmp_path, str(questions)).returncode == 0


def test_report_counts_suggestions_and_confusions() -> None:
    suggested = Result(Item("a", "q", 2), None, "suggested", 0.2, "b", ("b", "a"))
    rep = report([result("a", "a", 0.9), result("a", "b", 0.9), suggested, result(None, None, 0.1)])
    assert (rep.right, rep.wrong, rep.suggested, rep.suggested_right, rep.declined) == (1, 1, 1, 1, 1)
    assert rep.confused == [("a", "b", 1)] and rep.per_label["b"] == (0.0, 0.0, 0)
