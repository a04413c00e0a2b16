"""The command line as a newcomer and the scorer use it: `ask`, `ask --json`, piped console chat."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.config import ROOT


def run(args: list[str], stdin: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    environ = {**os.environ, "BOT_DB": str(tmp_path / "cli.db"), **env}
    return subprocess.run([sys.executable, str(ROOT / "bot.py"), *args], input=stdin, capture_output=True,
                          text=True, encoding="utf-8", env=environ, cwd=tmp_path, timeout=60)


def test_ask_json_one_line_per_question_in_order(tmp_path: Path) -> None:
    questions = ["bluezone co ton pin ko", "", "qwerty zxcv", "xin chào", "x" * 20000]
    done = run(["ask", "--json"], "\n".join(questions) + "\n", tmp_path)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == len(questions)
    assert lines[0]["id"] == "battery" and 0 <= lines[0]["confidence"] <= 1 and lines[0]["reply"]
    assert lines[1]["id"] is None and lines[2]["id"] is None
    assert lines[3]["id"] == "greeting"


def test_ask_one_question_from_arguments(tmp_path: Path) -> None:
    done = run(["ask", "cài", "bluezone", "trên", "iphone"], "", tmp_path)
    assert done.returncode == 0 and "App Store" in done.stdout


def test_piped_console_chat_presses_numbered_buttons(tmp_path: Path) -> None:
    done = run([], "/start\n1\n", tmp_path)
    assert done.returncode == 0, done.stderr
    assert "1. Cài Bluezone" in done.stdout and "Xin chào" in done.stdout
    pressed = done.stdout.split("1. Cài Bluezone", 1)[1]
    assert "CH Play" in pressed and "App Store" in pressed      # "1" pressed the first button: the install answer
    assert "Traceback" not in done.stderr


def test_broken_content_gives_a_clear_message(tmp_path: Path) -> None:
    (tmp_path / "faq").mkdir()
    done = run(["ask", "pin"], "", tmp_path, BOT_CONTENT_DIR=str(tmp_path / "faq"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "pack.yaml" in done.stderr


def test_bad_setting_gives_a_clear_message(tmp_path: Path) -> None:
    done = run(["ask", "pin"], "", tmp_path, BOT_ANSWER_THRESHOLD="cao")
    assert done.returncode == 2 and "BOT_ANSWER_THRESHOLD" in done.stderr and "Traceback" not in done.stderr
