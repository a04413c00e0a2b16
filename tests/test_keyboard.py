"""Telex and VNI typed without conversion, read back; and the training sentences made from paraphrases."""
from __future__ import annotations

from bot.matching.augment import Augmentation, Augmenter, telex, vni
from bot.matching.keyboard import decode

KNOWN = {"khong", "duoc", "dien", "thoai", "cai", "dat", "co", "bi", "tat", "how", "is", "nguoi", "the", "nao",
         "bluetooth", "pin"}
known = KNOWN.__contains__


def test_telex_typed_raw_is_read_back() -> None:
    for typed, word in (("khoong", "khong"), ("dduwowcj", "duoc"), ("ddieenj", "dien"), ("thoaij", "thoai"),
                        ("cafi", "cai"), ("ddawt", "dat"), ("cos", "co"), ("nguwowif", "nguoi"), ("naof", "nao")):
        assert decode(typed, known) == word, typed


def test_vni_typed_raw_is_read_back() -> None:
    for typed, word in (("ca2i", "cai"), ("d9a85t", "dat"), ("kho6ng", "khong"), ("khon6g", "khong"),
                        ("d9u7o75c", "duoc")):
        assert decode(typed, known) == word, typed


def test_known_and_english_words_are_never_touched() -> None:
    for word in ("how", "is", "pin", "bluetooth", "a12", "4g", "samsung"):
        assert decode(word, known) == word
    assert decode("xyzw", known) == "xyzw"          # decodes to nothing known: left alone


def test_telex_and_vni_makers_invert_the_decoder() -> None:
    assert telex("không được điện thoại") == "khoong dduwowcj ddieenj thoaij"
    assert vni("không được") == "kho6ng d9u7o7c5"
    for typed in telex("không được điện thoại").split() + vni("không được cài đặt").split():
        assert decode(typed, known) in KNOWN, typed


def test_training_sentences_are_seeded_by_the_paraphrase() -> None:
    aug = Augmentation(openers=("cho em hỏi",), closers=("ạ",), context=("nhà tui ở xa", "con đi làm"),
                       rewrites={"không": ("ko", "hông"), "cài": ("caif",)})
    one, two = Augmenter(aug), Augmenter(aug)
    text = "cài bluezone có tốn pin không"
    first = list(one.sentences(text, "vi", 4))
    assert first == list(two.sentences(text, "vi", 4))           # the same content, the same sentences
    assert first[0] == text and len(first) == 5 and len(set(first)) > 2
    assert list(one.sentences(text, "vi", 4)) != list(one.sentences(text + " vậy", "vi", 4))
