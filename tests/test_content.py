"""Content completeness and validation: every required id, every reference, every catalog string."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot.config import ROOT
from bot.content.loader import REQUIRED_INTENTS, Content, ContentInvalid, load_content
from bot.i18n import I18n

REQUIRED_IDS = {
    "what_is_bluezone", "how_it_works", "who_made", "why_install", "is_mandatory", "install", "install_android",
    "install_ios", "feature_phone", "device_unsupported", "install_for_family", "is_free", "bluetooth",
    "location_permission", "battery", "mobile_data", "background_running", "check_working", "update_app",
    "uninstall", "privacy", "data_retention", "close_contact_warning", "positive_case", "health_declaration",
    "contact_support", "foreigner"}


def test_every_required_entry_and_intent_is_present(content: Content) -> None:
    assert REQUIRED_IDS <= set(content.pack.required) <= set(content.entries)
    assert set(REQUIRED_INTENTS) <= set(content.intents)


def test_every_entry_is_complete(content: Content) -> None:
    for entry in content.entries.values():
        assert entry.answer["vi"] and entry.title["vi"], entry.id
        assert entry.answer.get("en") and entry.title.get("en"), entry.id
        assert len(entry.paraphrases["vi"]) >= 8, entry.id
        assert entry.source, entry.id
        assert all(r in content.entries for r in entry.related), entry.id
        assert all(g in content.guides for g in entry.guides), entry.id


def test_guides_have_steps_in_both_languages(content: Content) -> None:
    for guide in content.guides.values():
        assert guide.steps, guide.id
        for step in guide.steps:
            assert step.text["vi"] and step.text.get("en"), guide.id


def test_answers_fit_every_channel(content: Content) -> None:
    for entry in content.entries.values():
        for text in entry.answer.values():
            assert len(text) <= 1500, entry.id   # Zalo's 2,000 and Telegram's 4,096 with room for a header


def test_no_code_module_names_the_app(content: Content) -> None:
    name = content.pack.app_name.lower()
    for path in (ROOT / "bot").rglob("*.py"):
        assert name not in path.read_text(encoding="utf-8").lower(), path


def test_menu_ids_exist(content: Content) -> None:
    assert content.pack.menu and all(i in content.entries for i in content.pack.menu)


def test_catalogs_have_the_same_keys_and_real_translations(i18n: I18n) -> None:
    keys = {}
    for lang in ("vi", "en"):
        keys[lang] = set()
        for path in (ROOT / "locales" / lang / "LC_MESSAGES").glob("*.po"):
            with path.open("rb") as handle:
                catalog = read_po(handle)
            keys[lang] |= {m.id for m in catalog if m.id}
            assert all(m.string for m in catalog if m.id), path
    assert keys["vi"] == keys["en"]
    for key in keys["vi"]:
        assert i18n.t("vi", key) != key and i18n.t("en", key) != key
    assert i18n.t("vi", "button.next") != i18n.t("en", "button.next")


def test_every_catalog_key_used_in_code_exists(i18n: I18n) -> None:
    import re
    prefixes = {key.split(".")[0] for key in i18n.keys["vi"]}
    used = set()
    for path in list((ROOT / "bot").rglob("*.py")) + [ROOT / "bot.py"]:
        used |= set(re.findall(r'"([a-z_]+\.[a-z_.]+)"', path.read_text(encoding="utf-8")))
    used = {u for u in used if u.split(".")[0] in prefixes and not u.endswith((".yaml", ".py", ".po"))}
    missing = sorted(k for k in used if i18n.t("vi", k) == k)
    assert not missing


def copy_content(tmp_path: Path) -> tuple[Path, Path]:
    faq, intents = tmp_path / "faq", tmp_path / "intents"
    shutil.copytree(ROOT / "faq", faq)
    shutil.copytree(ROOT / "intents", intents)
    return faq, intents


def errors_after(tmp_path: Path, file: str, old: str, new: str) -> list[str]:
    faq, intents = copy_content(tmp_path)
    path = tmp_path / file
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ContentInvalid) as caught:
        load_content(faq, intents)
    return [str(e) for e in caught.value.errors]


def test_broken_yaml_is_reported_with_its_file(tmp_path: Path) -> None:
    faq, intents = copy_content(tmp_path)
    (faq / "entries" / "zz_broken.yaml").write_text("entries:\n  - id: [unclosed\n", encoding="utf-8")
    with pytest.raises(ContentInvalid) as caught:
        load_content(faq, intents)
    assert any(e.file == "zz_broken.yaml" and "YAML" in e.reason for e in caught.value.errors)


def test_unknown_related_id_is_reported(tmp_path: Path) -> None:
    faq, intents = copy_content(tmp_path)
    (faq / "entries" / "zz_extra.yaml").write_text(
        "entries:\n  - id: extra\n    title: {vi: Thêm}\n    answer: {vi: Có}\n    related: [no_such_id]\n"
        "    paraphrases: {vi: [a, b, c, d, e, f, g, h]}\n", encoding="utf-8")
    with pytest.raises(ContentInvalid) as caught:
        load_content(faq, intents)
    assert [str(e) for e in caught.value.errors] == ["zz_extra.yaml: extra: related id no_such_id does not exist"]


def test_duplicate_id_and_missing_required_id(tmp_path: Path) -> None:
    faq, intents = copy_content(tmp_path)
    source = next((faq / "entries").glob("*.yaml"))
    text = source.read_text(encoding="utf-8")
    (faq / "entries" / "zz_copy.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ContentInvalid) as caught:
        load_content(faq, intents)
    assert any("duplicate id" in e.reason and e.file == "zz_copy.yaml" for e in caught.value.errors)
    source.unlink()
    (faq / "entries" / "zz_copy.yaml").unlink()
    with pytest.raises(ContentInvalid) as caught:
        load_content(faq, intents)
    assert any("required entry is missing" in e.reason for e in caught.value.errors)


def test_duplicate_yaml_key_is_an_error(tmp_path: Path) -> None:
    faq, intents = copy_content(tmp_path)
    (faq / "entries" / "zz_dup.yaml").write_text(
        "entries:\n  - id: dupkey\n    id: dupkey2\n", encoding="utf-8")
    with pytest.raises(ContentInvalid) as caught:
        load_content(faq, intents)
    assert any("duplicate key" in e.reason for e in caught.value.errors)


def test_missing_image_is_reported(tmp_path: Path) -> None:
    faq, intents = copy_content(tmp_path)
    (faq / "guides" / "zz_img.yaml").write_text(
        "guides:\n  - id: img_guide\n    title: {vi: Ảnh}\n    steps:\n      - vi: Bước một\n"
        "        image: images/none.png\n", encoding="utf-8")
    with pytest.raises(ContentInvalid) as caught:
        load_content(faq, intents)
    assert any("images/none.png" in e.reason for e in caught.value.errors)
