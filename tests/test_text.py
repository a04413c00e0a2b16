"""Normalisation of chat Vietnamese: Unicode, diacritics, teencode, dialect, the app's name."""
from __future__ import annotations

import unicodedata

from bot.matching.normaliser import Lexicon, Normaliser, clean, fold

LEX = Lexicon(
    app_canonical="bluezone",
    app_variants=("blue zone", "bluzon"),
    accented={"răng": "sao", "mô": "đâu"},
    folded={"ko": "khong", "dc": "duoc", "dt": "dien thoai"},
    phrases={"ch play": "chplay"},
    foreign_subjects=("zalo", "tai nghe"),
    english_markers=frozenset({"how", "install", "my", "phone"}),
)
N = Normaliser(LEX)


def tokens(text: str) -> tuple[str, ...]:
    return N.normalise(text).tokens


def test_fold_removes_marks_and_d_bar() -> None:
    assert fold("đường cài đặt ứng dụng") == "duong cai dat ung dung"


def test_nfd_input_equals_nfc_input() -> None:
    text = "Cài Bluezone ở đâu"
    assert tokens(unicodedata.normalize("NFD", text)) == tokens(text)


def test_invisible_control_and_fullwidth_characters() -> None:
    assert tokens("Ｂｌｕｅｚｏｎｅ\u200b là\u0007 gì\ufeff") == ("bluezone", "la", "gi")
    assert clean("a\u200db\tc\n") == "ab c"


def test_emoji_and_punctuation_are_dropped() -> None:
    assert tokens("cài bluezone??? 😀😀 !!!") == ("cai", "bluezone")
    assert N.normalise("😀🙏").tokens == ()


def test_teencode_and_dialect() -> None:
    assert tokens("dt ko cai dc") == ("dien", "thoai", "khong", "cai", "duoc")
    assert tokens("Răng cài ở mô") == ("sao", "cai", "o", "dau")


def test_dialect_only_when_typed_with_marks() -> None:
    # "mo" without marks may be "mở" (open): it stays as it is.
    assert tokens("mo app") == ("mo", "app")


def test_app_name_variants_spacing_repeats_and_typos() -> None:
    for spelled in ("blue zone", "BLUEZONEEEE", "bluzon", "bluezon", "bluezonr", "Blue Zone"):
        assert tokens(f"cài {spelled}") == ("cai", "bluezone"), spelled


def test_phrases_are_joined() -> None:
    assert tokens("tải trên CH Play") == ("tai", "tren", "chplay")


def test_foreign_subjects_and_app_mention() -> None:
    norm = N.normalise("tai nghe bluetooth ko ket noi")
    assert norm.foreign == ("tai nghe",) and not norm.names_app
    assert N.normalise("gửi bluezone qua zalo").names_app


def test_folded_words_before_the_lexicon_are_kept() -> None:
    assert N.normalise("Đt ko cài ĐC").words == ("dt", "ko", "cai", "dc")


def test_long_message_is_cut_for_matching() -> None:
    norm = N.normalise("cài bluezone " * 5000)
    assert len(norm.raw) <= 600 and norm.tokens[:2] == ("cai", "bluezone")


def test_sql_and_html_are_just_words() -> None:
    assert tokens("<b>cài</b>'; DROP TABLE users;--") == ("b", "cai", "b", "drop", "table", "users")
