"""Writing the live content (YAML plus admins' edits) back as a content folder that `faq check` accepts."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from bot.content.loader import Content, Entry, Guide, Texts

ADDED_FILE = "added.yaml"     # entries admins created in the chat
ADMIN_FILE = "admin"          # the `file` the overlay gives those entries


class _Flow(list):
    """A list of ids, written on one line: [a, b]."""


class _Block(str):
    """Text written in block style (|), as people write answers: line breaks stay line breaks."""


class _Dumper(yaml.SafeDumper):
    """Readable YAML: block style for multi-line text, ids lists in flow style, lists indented under their key."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


_Dumper.add_representer(_Block, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", str(v), style="|"))
_Dumper.add_representer(_Flow, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True))


def _dump(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=4096, default_flow_style=False)
    path.write_text(text, encoding="utf-8")


def _texts(texts: Texts, block: bool = False) -> dict[str, str]:
    """Vietnamese first, then English; multi-line text (and answers always) in block style."""
    return {lang: _Block(texts[lang] + "\n") if block or "\n" in texts[lang] else texts[lang]
            for lang in ("vi", "en") if lang in texts}


def _entry(entry: Entry) -> dict[str, Any]:
    """One entry with the keys in faq/README.md's order; optional keys only when set."""
    out: dict[str, Any] = {"id": entry.id, "title": _texts(entry.title),
                           "paraphrases": {lang: list(items) for lang, items in entry.paraphrases.items() if items},
                           "answer": _texts(entry.answer, block=True)}
    if entry.related:
        out["related"] = _Flow(entry.related)
    if entry.guides:
        out["guides"] = _Flow(entry.guides)
    if entry.start_guide:
        out["start_guide"] = True
    if entry.sets_os:
        out["sets_os"] = entry.sets_os
    if entry.source:
        out["source"] = _Flow(entry.source)
    if entry.hidden:
        out["hidden"] = True
    return out


def _guide(guide: Guide) -> dict[str, Any]:
    out: dict[str, Any] = {"id": guide.id}
    if guide.os:
        out["os"] = guide.os
    out["title"] = _texts(guide.title)
    steps = []
    for step in guide.steps:
        item: dict[str, Any] = dict(_texts(step.text))
        if step.image:
            item["image"] = step.image
        steps.append(item)
    out["steps"] = steps
    return out


def _pack(content: Content) -> dict[str, Any]:
    pack = content.pack
    out: dict[str, Any] = {"id": pack.id, "app_name": pack.app_name}
    if pack.required:
        out["required"] = _Flow(pack.required)
    out["menu"] = _Flow(pack.menu)
    out["support"] = _texts(pack.support)
    if pack.note:
        out["note"] = _texts(pack.note)
    return {"pack": out}


def _copy_images(content: Content, out_dir: Path) -> None:
    source = content.base_dir
    if source.resolve() == out_dir.resolve():
        return
    if (source / "images").is_dir():
        shutil.copytree(source / "images", out_dir / "images", dirs_exist_ok=True)
    for guide in content.guides.values():   # images kept elsewhere than images/
        for step in guide.steps:
            if step.image and (source / step.image).is_file() and not (out_dir / step.image).exists():
                (out_dir / step.image).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source / step.image, out_dir / step.image)


def export(content: Content, out_dir: Path) -> list[Path]:
    """Write content as a faq/ folder (pack, entries by file, admins' new entries in added.yaml, guides, images)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [out_dir / "pack.yaml"]
    _dump(written[0], _pack(content))
    by_file: dict[str, list[dict]] = {}
    for entry in content.entries.values():
        name = entry.file if entry.file and entry.file != ADMIN_FILE else ADDED_FILE
        by_file.setdefault(name, []).append(_entry(entry))
    for name, items in by_file.items():
        written.append(out_dir / "entries" / name)
        _dump(written[-1], {"entries": items})
    guides: dict[str, list[dict]] = {}
    for guide in content.guides.values():
        guides.setdefault(guide.file or "guides.yaml", []).append(_guide(guide))
    for name, items in guides.items():
        written.append(out_dir / "guides" / name)
        _dump(written[-1], {"guides": items})
    _copy_images(content, out_dir)
    return written
