"""Applying admins' edits (revisions from the database) over the YAML content, in order."""
from __future__ import annotations

import logging
from dataclasses import replace

from bot.content.loader import Content, Entry
from bot.storage.admin_store import Revision

log = logging.getLogger(__name__)


def apply(content: Content, revisions: list[Revision]) -> Content:
    """The content as admins see it: YAML, then every active edit in order (unknown entries are skipped)."""
    entries = dict(content.entries)
    for rev in revisions:
        entry = entries.get(rev.entry_id)
        if rev.kind == "new_entry":
            if entry is None:
                entries[rev.entry_id] = _new_entry(rev)
            continue
        if entry is None:   # the entry left the YAML since the edit: the edit no longer applies
            log.warning("revision %s: entry %s no longer exists", rev.id, rev.entry_id)
            continue
        entries[rev.entry_id] = _edit(entry, rev)
    return replace(content, entries=entries)


def _new_entry(rev: Revision) -> Entry:
    value = rev.value if isinstance(rev.value, dict) else {}     # a new entry's revision holds its title and answer
    title, answer = value["title"], value["answer"]
    return Entry(id=rev.entry_id, title={"vi": title}, paraphrases={"vi": (title,)}, answer={"vi": answer},
                 source=("admin",), file="admin")


def _edit(entry: Entry, rev: Revision) -> Entry:
    lang = rev.lang or "vi"
    if rev.kind == "answer":
        return replace(entry, answer={**entry.answer, lang: str(rev.value)})
    if rev.kind == "title":
        return replace(entry, title={**entry.title, lang: str(rev.value)})
    if rev.kind == "paraphrase":
        current = entry.paraphrases.get(lang, ())
        if str(rev.value) in current:
            return entry
        return replace(entry, paraphrases={**entry.paraphrases, lang: current + (str(rev.value),)})
    if rev.kind in ("hide", "show"):
        return replace(entry, hidden=rev.kind == "hide")
    log.warning("revision %s: unknown kind %s", rev.id, rev.kind)
    return entry
