"""Loading and validating YAML content (pack, entries, guides, intents, lexicon) into typed records."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bot.content.language_data import Augmentation, Lexicon

LANGS = ("vi", "en")
OSES = ("android", "ios")
TITLE_MAX = 40
ANSWER_MAX = 1500
MIN_PARAPHRASES = 8
REQUIRED_INTENTS = ("greeting", "thanks", "goodbye", "help")


@dataclass(frozen=True)
class ContentError:
    """One problem in the content: which file, which entry, what is wrong."""

    file: str
    id: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.id or '-'}: {self.reason}"


class ContentInvalid(Exception):
    """The content cannot be used; carries every problem found."""

    def __init__(self, errors: list[ContentError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


Texts = dict[str, str]  # language -> text


@dataclass(frozen=True)
class Entry:
    """One FAQ entry."""

    id: str
    title: Texts
    paraphrases: dict[str, tuple[str, ...]]
    answer: Texts
    related: tuple[str, ...] = ()
    guides: tuple[str, ...] = ()
    start_guide: bool = False
    sets_os: str = ""
    source: tuple[str, ...] = ()
    hidden: bool = False
    file: str = ""


@dataclass(frozen=True)
class GuideStep:
    """One step of a guide: text per language and an optional image path."""

    text: Texts
    image: str | None = None


@dataclass(frozen=True)
class Guide:
    """A step-by-step guide."""

    id: str
    title: Texts
    steps: tuple[GuideStep, ...]
    os: str = ""
    file: str = ""


@dataclass(frozen=True)
class Intent:
    """A small-talk intent or an out-of-scope group: paraphrases and, for small talk, a catalog key."""

    id: str
    paraphrases: dict[str, tuple[str, ...]]
    reply: str = ""
    reject: bool = False


@dataclass(frozen=True)
class Pack:
    """The content pack's own settings."""

    id: str
    app_name: str
    menu: tuple[str, ...]
    required: tuple[str, ...]
    support: Texts
    note: Texts


@dataclass(frozen=True)
class Content:
    """Everything the engine says and matches, loaded and validated."""

    pack: Pack
    entries: dict[str, Entry]
    guides: dict[str, Guide]
    intents: dict[str, Intent]
    rejects: tuple[Intent, ...]
    lexicon: Lexicon
    base_dir: Path = field(default=Path("."))
    augmentation: Augmentation = field(default_factory=Augmentation)

    def text(self, texts: Texts, lang: str) -> str:
        """The text in the language asked for, else Vietnamese."""
        return texts.get(lang) or texts.get("vi", "")


class _Reader:
    """Collects errors while reading loosely-typed YAML into records."""

    def __init__(self) -> None:
        self.errors: list[ContentError] = []

    def error(self, file: str, id_: str, reason: str) -> None:
        self.errors.append(ContentError(file, id_, reason))

    def load(self, path: Path) -> Any:
        try:
            return yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
        except (yaml.YAMLError, UnicodeDecodeError, OSError) as exc:
            self.error(path.name, "", f"cannot read YAML: {exc}".replace("\n", " "))
            return None

    def texts(self, file: str, id_: str, value: Any, what: str, required: bool = True) -> Texts:
        if value is None and not required:
            return {}
        if isinstance(value, str):
            value = {"vi": value}
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            self.error(file, id_, f"{what} must be a mapping of language to text")
            return {}
        unknown = set(value) - set(LANGS)
        if unknown:
            self.error(file, id_, f"{what} has unknown languages: {', '.join(sorted(unknown))}")
        if required and not value.get("vi", "").strip():
            self.error(file, id_, f"{what} has no Vietnamese text")
        return {k: v.strip() for k, v in value.items() if k in LANGS}

    def paraphrases(self, file: str, id_: str, value: Any) -> dict[str, tuple[str, ...]]:
        if not isinstance(value, dict):
            self.error(file, id_, "paraphrases must be a mapping of language to a list")
            return {}
        out: dict[str, tuple[str, ...]] = {}
        for lang, items in value.items():
            if lang not in LANGS or not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                self.error(file, id_, f"paraphrases.{lang} must be a list of text in vi or en")
                continue
            out[lang] = tuple(i.strip() for i in items if i.strip())
        return out

    def ids(self, file: str, id_: str, value: Any, what: str) -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(i, str) for i in value):
            self.error(file, id_, f"{what} must be a list of ids")
            return ()
        return tuple(value)


_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: 5x faster start


class _UniqueKeyLoader(_BaseLoader):  # the base is chosen at import time
    """A safe loader that refuses a mapping with the same key twice (a silent overwrite otherwise)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.glob("*.yaml") if p.is_file()) if folder.is_dir() else []


def _read_pack(r: _Reader, path: Path) -> Pack:
    if not path.is_file():
        r.error(path.name, "", "the pack file is missing")
    data = r.load(path) if path.is_file() else None
    pack = data.get("pack") if isinstance(data, dict) else None
    if not isinstance(pack, dict):
        if path.is_file():
            r.error(path.name, "", "expected a top-level 'pack' mapping")
        return Pack("", "", (), (), {}, {})
    return Pack(
        id=str(pack.get("id", "")),
        app_name=str(pack.get("app_name", "")),
        menu=r.ids(path.name, "pack", pack.get("menu"), "menu"),
        required=r.ids(path.name, "pack", pack.get("required"), "required"),
        support=r.texts(path.name, "pack", pack.get("support"), "support"),
        note=r.texts(path.name, "pack", pack.get("note"), "note", required=False),
    )


def _records(r: _Reader, path: Path, key: str) -> list[dict]:
    data = r.load(path)
    if data is None:
        return []
    items = data.get(key) if isinstance(data, dict) else None
    if not isinstance(items, list):
        r.error(path.name, "", f"expected a top-level '{key}' list")
        return []
    good = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"].strip():
            r.error(path.name, "", f"every item of '{key}' needs an id")
            continue
        good.append(item)
    return good


def _read_entry(r: _Reader, file: str, item: dict) -> Entry:
    id_ = item["id"]
    sets_os = str(item.get("sets_os") or "")
    if sets_os and sets_os not in OSES:
        r.error(file, id_, f"sets_os must be one of {', '.join(OSES)}")
    return Entry(
        id=id_,
        title=r.texts(file, id_, item.get("title"), "title"),
        paraphrases=r.paraphrases(file, id_, item.get("paraphrases")),
        answer=r.texts(file, id_, item.get("answer"), "answer"),
        related=r.ids(file, id_, item.get("related"), "related"),
        guides=r.ids(file, id_, item.get("guides"), "guides"),
        start_guide=bool(item.get("start_guide", False)),
        sets_os=sets_os,
        source=r.ids(file, id_, item.get("source"), "source"),
        hidden=bool(item.get("hidden", False)),
        file=file,
    )


def _read_guide(r: _Reader, file: str, item: dict) -> Guide:
    id_ = item["id"]
    steps = []
    for number, step in enumerate(item.get("steps") or [], 1):
        if not isinstance(step, dict):
            r.error(file, id_, f"step {number} must be a mapping")
            continue
        image = step.get("image")
        texts = {k: v for k, v in step.items() if k != "image"}
        steps.append(GuideStep(r.texts(file, id_, texts, f"step {number}"), str(image) if image else None))
    if not steps:
        r.error(file, id_, "a guide needs at least one step")
    os_ = str(item.get("os") or "")
    if os_ and os_ not in OSES:
        r.error(file, id_, f"os must be one of {', '.join(OSES)}")
    return Guide(id_, r.texts(file, id_, item.get("title"), "title"), tuple(steps), os_, file)


def _read_devices(r: _Reader, path: Path) -> dict[str, Any]:
    """Phone brands and models as the phone's system (intents/devices.yaml, optional)."""
    data = r.load(path) if path.is_file() else {}
    if not isinstance(data, dict):
        r.error(path.name, "", "expected a mapping with os_words, brands and patterns")
        return {}
    out: dict[str, Any] = {}
    for key in ("os_words", "brands", "patterns"):
        value = data.get(key) or {}
        if not isinstance(value, dict):
            r.error(path.name, key, "must be a mapping of system to words")
            value = {}
        out[key] = value
    model_words = data.get("model_words") or []
    if not isinstance(model_words, list):
        r.error(path.name, "model_words", "must be a list of words")
        model_words = []
    out["model_words"] = model_words
    for os_, expressions in out["patterns"].items():
        for expression in expressions or ():
            try:
                re.compile(str(expression))
            except re.error as error:
                r.error(path.name, f"patterns.{os_}", f"not a regular expression: {error}")
    return out


def _read_augmentation(r: _Reader, path: Path) -> Augmentation:
    """How training sentences are made from paraphrases (intents/augment.yaml, optional)."""
    data = r.load(path) if path.is_file() else {}
    if not isinstance(data, dict):
        r.error(path.name, "", "expected a mapping with openers, closers, context and rewrites")
        return Augmentation()

    def strings(key: str) -> tuple[str, ...]:
        value = data.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            r.error(path.name, key, "must be a list of text")
            return ()
        return tuple(value)

    rewrites = data.get("rewrites") or {}
    if not isinstance(rewrites, dict) or not all(isinstance(v, list) for v in rewrites.values()):
        r.error(path.name, "rewrites", "must map a word to a list of spellings")
        rewrites = {}
    return Augmentation(strings("openers"), strings("closers"), strings("context"),
                        {str(k): tuple(str(x) for x in v) for k, v in rewrites.items()})


def _read_lexicon(r: _Reader, path: Path) -> Lexicon:
    devices = _read_devices(r, path.with_name("devices.yaml"))
    data = r.load(path) if path.is_file() else None
    if not isinstance(data, dict):
        r.error(path.name, "", "the lexicon is missing or not a mapping")
        return Lexicon()
    app = data.get("app_name") or {}

    def mapping(key: str) -> dict[str, str]:
        value = data.get(key) or {}
        if not isinstance(value, dict):
            r.error(path.name, key, "must be a mapping of word to word")
            return {}
        return {str(k): str(v if v is not None else "") for k, v in value.items()}

    return Lexicon(
        app_canonical=str(app.get("canonical", "")),
        app_variants=tuple(str(v) for v in app.get("variants") or ()),
        accented=mapping("accented"),
        folded=mapping("folded"),
        phrases=mapping("phrases"),
        foreign_subjects=tuple(str(s) for s in data.get("foreign_subjects") or ()),
        english_markers=frozenset(str(s) for s in data.get("english_markers") or ()),
        os_words={str(k): str(v) for k, v in devices.get("os_words", {}).items()},
        brands={str(k): tuple(str(b) for b in v or ()) for k, v in devices.get("brands", {}).items()},
        device_patterns={str(k): tuple(str(p) for p in v or ()) for k, v in devices.get("patterns", {}).items()},
        model_words=frozenset(str(w) for w in devices.get("model_words", ())),
    )


def _check_unique(r: _Reader, items: list[tuple[str, str]], seen: dict[str, str]) -> None:
    for file, id_ in items:
        if id_ in seen:
            r.error(file, id_, f"duplicate id (also in {seen[id_]})")
        seen[id_] = file


def _check_references(r: _Reader, c: Content) -> None:
    for id_ in c.pack.required:
        if id_ not in c.entries:
            r.error("faq/entries", id_, "required entry is missing")
    for id_ in REQUIRED_INTENTS:
        if id_ not in c.intents:
            r.error("intents/smalltalk.yaml", id_, "required intent is missing")
    for id_ in c.pack.menu:
        if id_ not in c.entries:
            r.error("pack.yaml", "menu", f"unknown entry {id_}")
    for e in c.entries.values():
        for rel in e.related:
            if rel not in c.entries:
                r.error(e.file, e.id, f"related id {rel} does not exist")
        for gid in e.guides:
            if gid not in c.guides:
                r.error(e.file, e.id, f"guide {gid} does not exist")
        if len(e.paraphrases.get("vi", ())) < MIN_PARAPHRASES:
            r.error(e.file, e.id, f"needs at least {MIN_PARAPHRASES} Vietnamese paraphrases")
        for lang, text in e.title.items():
            if len(text) > TITLE_MAX:
                r.error(e.file, e.id, f"title ({lang}) is longer than {TITLE_MAX} characters")
        for lang, text in e.answer.items():
            if len(text) > ANSWER_MAX:
                r.error(e.file, e.id, f"answer ({lang}) is longer than {ANSWER_MAX} characters")
    for g in c.guides.values():
        for number, step in enumerate(g.steps, 1):
            if step.image and not (c.base_dir / step.image).is_file():
                r.error(g.file, g.id, f"step {number}: image {step.image} does not exist")


def load_content(content_dir: Path, intents_dir: Path) -> Content:
    """Read and validate the whole content; raise ContentInvalid listing every problem."""
    r = _Reader()
    pack = _read_pack(r, content_dir / "pack.yaml")
    entries: dict[str, Entry] = {}
    guides: dict[str, Guide] = {}
    seen: dict[str, str] = {}
    for path in _files(content_dir / "entries"):
        read = [_read_entry(r, path.name, item) for item in _records(r, path, "entries")]
        _check_unique(r, [(path.name, e.id) for e in read], seen)
        entries.update((e.id, e) for e in read)
    for path in _files(content_dir / "guides"):
        read_g = [_read_guide(r, path.name, item) for item in _records(r, path, "guides")]
        _check_unique(r, [(path.name, g.id) for g in read_g], seen)
        guides.update((g.id, g) for g in read_g)
    intents: dict[str, Intent] = {}
    small = intents_dir / "smalltalk.yaml"
    for item in _records(r, small, "intents") if small.is_file() else []:
        intents[item["id"]] = Intent(item["id"], r.paraphrases(small.name, item["id"], item.get("paraphrases")),
                                     str(item.get("reply") or f"smalltalk.{item['id']}"))
    _check_unique(r, [(small.name, i) for i in intents], seen)
    oos = intents_dir / "out_of_scope.yaml"
    rejects = tuple(Intent(i["id"], r.paraphrases(oos.name, i["id"], i.get("paraphrases")), reject=True)
                    for i in (_records(r, oos, "out_of_scope") if oos.is_file() else []))
    lexicon = _read_lexicon(r, intents_dir / "lexicon.yaml")
    augmentation = _read_augmentation(r, intents_dir / "augment.yaml")
    content = Content(pack, entries, guides, intents, rejects, lexicon, content_dir, augmentation)
    _check_references(r, content)
    if r.errors:
        raise ContentInvalid(r.errors)
    return content
