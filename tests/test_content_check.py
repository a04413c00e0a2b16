"""`faq check` (one broken folder per kind of error), export round trips, the `faq` commands, the content watcher."""
from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from bot.config import ROOT
from bot.content.loader import Content, ContentError, load_content
from bot.curation.check import check, check_content, conflicts
from bot.curation.export import export
from bot.curation.live import ContentManager
from bot.curation.watcher import watch_content
from bot.storage.admin_store import AdminStore
from bot.storage.database import Storage

INTENTS = ROOT / "intents"
EXTRA_ENTRY = """entries:
  - id: extra
    title: {vi: Thêm}
    answer: {vi: Có}
    related: [no_such_id]
    paraphrases: {vi: [a, b, c, d, e, f, g, h]}
"""


def copy_content(tmp_path: Path) -> tuple[Path, Path]:
    faq, intents = tmp_path / "faq", tmp_path / "intents"
    shutil.copytree(ROOT / "faq", faq)
    shutil.copytree(INTENTS, intents)
    return faq, intents


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def errors_of(faq: Path, intents: Path) -> list[ContentError]:
    errors = check(faq, intents)
    assert all(e.file and e.reason for e in errors)
    return errors


def test_the_shipped_content_passes_quickly() -> None:
    started = time.perf_counter()
    assert check(ROOT / "faq", INTENTS) == []
    print(f"faq check of the shipped content: {time.perf_counter() - started:.2f} s")


def test_broken_yaml(tmp_path: Path) -> None:
    faq, intents = copy_content(tmp_path)
    (faq / "entries" / "zz_broken.yaml").write_text("entries:\n  - id: [unclosed\n", encoding="utf-8")
    errors = errors_of(faq, intents)
    assert [(e.file, e.id) for e in errors] == [("zz_broken.yaml", "")]
    assert "cannot read YAML" in errors[0].reason


def test_duplicate_id(tmp_path: Path) -> None:
    faq, intents = copy_content(tmp_path)
    shutil.copy(faq / "entries" / "privacy.yaml", faq / "entries" / "zz_copy.yaml")
    errors = errors_of(faq, intents)
    assert ContentError("zz_copy.yaml", "privacy", "duplicate id (also in privacy.yaml)") in errors


def test_missing_required_id(tmp_path: Path) -> None:
    faq, intents = copy_content(tmp_path)
    edit(faq / "pack.yaml", "foreigner]", "foreigner, vaccine_card]")
    assert errors_of(faq, intents) == [ContentError("faq/entries", "vaccine_card", "required entry is missing")]


def test_unknown_related_id(tmp_path: Path) -> None:
    faq, intents = copy_content(tmp_path)
    (faq / "entries" / "zz_extra.yaml").write_text(EXTRA_ENTRY, encoding="utf-8")
    assert errors_of(faq, intents) == [ContentError("zz_extra.yaml", "extra", "related id no_such_id does not exist")]


def test_missing_image(tmp_path: Path) -> None:
    faq, intents = copy_content(tmp_path)
    (faq / "guides" / "zz_img.yaml").write_text(
        "guides:\n  - id: img_guide\n    title: {vi: Ảnh}\n    steps:\n      - vi: Bước một\n"
        "        image: images/none.png\n", encoding="utf-8")
    assert errors_of(faq, intents) == [
        ContentError("zz_img.yaml", "img_guide", "step 1: image images/none.png does not exist")]


def test_guide_step_too_long_for_zalo(tmp_path: Path) -> None:
    faq, intents = copy_content(tmp_path)
    (faq / "guides" / "zz_long.yaml").write_text(
        "guides:\n  - id: long_guide\n    title: {vi: Dài}\n    steps:\n      - vi: Ngắn\n"
        f"      - vi: {'a' * 2100}\n", encoding="utf-8")
    errors = errors_of(faq, intents)
    assert [(e.file, e.id) for e in errors] == [("zz_long.yaml", "long_guide")]
    assert "step 2 (vi)" in errors[0].reason and "Zalo's limit of 2000" in errors[0].reason


def test_an_edited_answer_too_long_for_a_channel(content: Content) -> None:
    # Loading refuses answers over 1,500 characters; an admin's edit in the chat does not pass through loading.
    battery = content.entries["battery"]
    zalo = replace(content, entries={**content.entries, "battery": replace(battery, answer={"vi": "x" * 2500})})
    assert [str(e) for e in check_content(zalo)] == [
        "using.yaml: battery: answer (vi) is 2500 characters, longer than Zalo's limit of 2000"]
    both = replace(content, entries={**content.entries, "battery": replace(battery, answer={"vi": "x" * 5000})})
    assert ["Zalo" in e.reason for e in check_content(both)] == [True, False]


def test_a_paraphrase_answered_by_another_entry(tmp_path: Path) -> None:
    faq, intents = copy_content(tmp_path)
    edit(faq / "entries" / "about.yaml", '        - "bluezone có miễn phí không"\n',
         '        - "bluezone có miễn phí không"\n        - "bluezone có tốn pin không rứa"\n')
    errors = errors_of(faq, intents)
    assert len(errors) == 1
    assert (errors[0].file, errors[0].id) == ("about.yaml", "is_free")
    assert errors[0].reason.startswith("paraphrase 'bluezone có tốn pin không rứa' of is_free is answered by battery (")


def test_a_paraphrase_answered_by_an_out_of_scope_group(tmp_path: Path) -> None:
    faq, intents = copy_content(tmp_path)
    edit(faq / "entries" / "about.yaml", '        - "bluezone có miễn phí không"\n',
         '        - "bluezone có miễn phí không"\n        - "giá vàng hôm nay bao nhiêu"\n')
    errors = errors_of(faq, intents)
    assert len(errors) == 1
    assert (errors[0].file, errors[0].id) == ("about.yaml", "is_free")
    assert "'giá vàng hôm nay bao nhiêu' of is_free is answered by out-of-scope group daily_life" in errors[0].reason


def test_an_out_of_scope_paraphrase_answered_by_an_entry(content: Content) -> None:
    group = content.rejects[0]
    moved = replace(group, paraphrases={"vi": group.paraphrases["vi"] + ("bluezone tốn pin quá trời luôn",)})
    errors = {(e.file, e.id): e.reason for e in conflicts(replace(content, rejects=(moved,) + content.rejects[1:]))}
    assert f"'bluezone tốn pin quá trời luôn' of out-of-scope group {group.id} is answered by battery" in errors[
        ("out_of_scope.yaml", group.id)]
    # the other way round it holds: battery's paraphrases name the app, and out-of-scope groups weigh less then
    assert ("using.yaml", "battery") not in errors


# --- export -------------------------------------------------------------------------------------------------------

AWARD = ["bluezone có đoạt giải thưởng nào không", "giải thưởng của bluezone", "bluezone từng nhận giải thưởng gì",
         "bluezone được trao giải thưởng không", "ung dung nay co giai thuong gi", "app ni được giải thưởng chi rứa",
         "bluezone đạt giải thưởng công nghệ nào", "các giải thưởng bluezone đã nhận"]


def edits(storage: Storage) -> AdminStore:
    """An answer changed, a paraphrase added, an entry hidden and a new entry with eight paraphrases."""
    store = AdminStore(storage)
    store.add_revision("battery", "answer", "vi", "Bluezone tốn khoảng 10% pin mỗi ngày.\nKhông nên tắt Bluetooth.",
                       None, "telegram:1")
    store.add_revision("battery", "paraphrase", "vi", "máy nóng ran từ khi cài app", None, "telegram:1")
    store.add_revision("foreigner", "hide", None, True, None, "telegram:1")
    store.add_revision("award", "new_entry", None, {"title": AWARD[0], "answer": "Chưa có thông tin chính thức."},
                       None, "telegram:1")
    for text in AWARD[1:]:
        store.add_revision("award", "paraphrase", "vi", text, None, "telegram:1")
    return store


def test_export_round_trip_with_admins_edits(tmp_path: Path, storage: Storage) -> None:
    manager = ContentManager(ROOT / "faq", INTENTS, edits(storage))
    current = manager.current
    out = tmp_path / "exported"
    export(current, out)
    assert sorted(p.name for p in (out / "entries").iterdir()) == [
        "about.yaml", "added.yaml", "health.yaml", "install.yaml", "privacy.yaml", "using.yaml"]
    back = load_content(out, INTENTS)
    assert {i: replace(e, file="") for i, e in back.entries.items()} == {
        i: replace(e, file="") for i, e in current.entries.items()}
    assert back.guides == current.guides and back.pack == current.pack
    assert back.entries["battery"].answer["vi"].endswith("\nKhông nên tắt Bluetooth.")
    assert back.entries["foreigner"].hidden and back.entries["award"].file == "added.yaml"
    assert check(out, INTENTS) == []
    text = (out / "entries" / "using.yaml").read_text(encoding="utf-8")
    assert "máy nóng ran từ khi cài app" in text and "\\u" not in text   # Unicode kept as is
    assert "    answer:\n      vi: |\n        Bluezone tốn khoảng 10% pin mỗi ngày.\n" in text
    first = yaml.safe_load(text)["entries"][0]
    assert list(first)[:4] == ["id", "title", "paraphrases", "answer"]


def test_export_copies_images(tmp_path: Path) -> None:
    faq, intents = copy_content(tmp_path)
    (faq / "images").mkdir(exist_ok=True)
    (faq / "images" / "step.png").write_bytes(b"\x89PNG\r\n")
    (faq / "guides" / "zz_img.yaml").write_text(
        "guides:\n  - id: img_guide\n    title: {vi: Ảnh}\n    steps:\n      - vi: Bước một\n"
        "        image: images/step.png\n", encoding="utf-8")
    out = tmp_path / "out"
    export(load_content(faq, intents), out)
    assert (out / "images" / "step.png").read_bytes() == b"\x89PNG\r\n"
    assert check(out, intents) == []


# --- python bot.py faq ... ----------------------------------------------------------------------------------------

BOT = ROOT / "bot.py"
wired = pytest.mark.skipif("cli_faq" not in BOT.read_text(encoding="utf-8"), reason="bot.py does not wire `faq`")


def bot(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {**os.environ, "BOT_DB": str(tmp_path / "bot.db"), "BOT_LOCALE": "vi", **env}
    return subprocess.run([sys.executable, str(BOT), "faq", *args], capture_output=True, text=True,
                          encoding="utf-8", env=environ, timeout=120)


def reload_signal(tmp_path: Path) -> str | None:
    storage = Storage.open(str(tmp_path / "bot.db"))
    try:
        return AdminStore(storage).signal_time("reload")
    finally:
        storage.close()


@wired
def test_faq_check_command(tmp_path: Path) -> None:
    good = bot(tmp_path, "check")
    assert good.returncode == 0 and "Không có vấn đề nào" in good.stdout
    faq, intents = copy_content(tmp_path)
    (faq / "entries" / "zz_extra.yaml").write_text(EXTRA_ENTRY, encoding="utf-8")
    bad = bot(tmp_path, "check", str(faq), "--intents", str(intents))
    assert bad.returncode == 1
    assert bad.stdout.splitlines() == ["zz_extra.yaml: extra: related id no_such_id does not exist"]


@wired
def test_faq_reload_command_signals_only_good_content(tmp_path: Path) -> None:
    faq, intents = copy_content(tmp_path)
    (faq / "entries" / "zz_extra.yaml").write_text(EXTRA_ENTRY, encoding="utf-8")
    refused = bot(tmp_path, "reload", BOT_CONTENT_DIR=str(faq), BOT_INTENTS_DIR=str(intents))
    assert refused.returncode == 1 and "no_such_id" in refused.stdout
    assert reload_signal(tmp_path) is None
    done = bot(tmp_path, "reload")
    assert done.returncode == 0 and "vài giây" in done.stdout
    assert reload_signal(tmp_path) is not None


@wired
def test_faq_export_command_includes_admins_edits(tmp_path: Path) -> None:
    storage = Storage.open(str(tmp_path / "bot.db"))
    edits(storage)
    storage.close()
    out = tmp_path / "exported"
    done = bot(tmp_path, "export", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "award" in load_content(out, INTENTS).entries
    assert bot(tmp_path, "check", str(out)).returncode == 0


# --- the watcher --------------------------------------------------------------------------------------------------

async def until(condition, seconds: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_watcher_reloads_on_change_and_signal_and_keeps_old_content_when_broken(
        tmp_path: Path, storage: Storage) -> None:
    faq, intents = copy_content(tmp_path)
    store = AdminStore(storage)
    manager = ContentManager(faq, intents, store)
    published: list[Content] = []
    manager.subscribe(published.append)
    reports: list[list[ContentError]] = []
    executor = ThreadPoolExecutor(max_workers=1)
    loop = asyncio.get_running_loop()
    calls = 0

    def run_in_engine(fn):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 3:   # one failing look must not stop the watcher
            raise RuntimeError("engine busy")
        return loop.run_in_executor(executor, fn)

    task = asyncio.create_task(watch_content(manager, store, run_in_engine, interval=0.03, report=reports.append))
    try:
        await until(lambda: calls >= 4)
        using = faq / "entries" / "using.yaml"
        edit(using, "Theo giải đáp chính thức, Bluezone", "Theo giải đáp chính thức (mới), Bluezone")
        await until(lambda: "(mới)" in manager.current.entries["battery"].answer["vi"])
        assert reports[-1] == []

        count = len(published)
        await asyncio.get_running_loop().run_in_executor(executor, store.signal, "reload")
        await until(lambda: len(published) > count)

        good = manager.current
        using.write_text("entries:\n  - id: [unclosed\n", encoding="utf-8")
        await until(lambda: bool(reports[-1]))
        assert reports[-1][0].file == "using.yaml" and manager.current is good
        assert not task.done()
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        executor.shutdown()


def test_the_same_words_under_two_entries_are_reported(content: Content) -> None:
    battery, data = content.entries["battery"], content.entries["mobile_data"]
    copied = data.paraphrases["vi"][0]
    both = replace(battery, paraphrases={**battery.paraphrases, "vi": battery.paraphrases["vi"] + (copied,)})
    errors = [str(e) for e in conflicts(replace(content, entries={**content.entries, "battery": both}))]
    # reported once, on whichever of the two comes later in the content
    assert errors == [f"using.yaml: mobile_data: paraphrase '{copied}' of mobile_data has the same words as one of "
                      f"battery"]
