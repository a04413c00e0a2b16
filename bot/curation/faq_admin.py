"""Admins keep the FAQ current from the chat: list, show, edit answers, add paraphrases and entries, hide,
history with rollback, reload from files. Every call checks the role in storage and is audited."""
from __future__ import annotations

import logging
import re
from typing import Callable

from bot.campaign.roles import role_of
from bot.content.loader import ANSWER_MAX, LANGS, TITLE_MAX, Entry
from bot.core.features import Ctx, Feature, Handler
from bot.core.messages import Button, Reply
from bot.core.state import State
from bot.curation.live import ContentManager
from bot.i18n import I18n
from bot.storage.admin_store import AdminStore
from bot.storage.campaign_store import CampaignStore

log = logging.getLogger(__name__)

P = "a:"
PARAPHRASE_MAX = 200
ENTRY_ID = re.compile(r"^[a-z][a-z0-9_]{2,39}$")
ZALO_LIMIT = 2000   # the strictest channel: an answer must fit one Zalo message


class FaqAdmin(Feature):
    """The FAQ editing commands, for admins only."""

    prefix = P
    states = frozenset({State.ADMIN_INPUT})

    def __init__(self, manager: ContentManager, admin_store: AdminStore, store: CampaignStore, i18n: I18n,
                 language_of: Callable[[str], str | None] = lambda text: None) -> None:
        self.manager, self.admin_store, self.store, self.i18n = manager, admin_store, store, i18n
        self.language_of = language_of      # the engine's guess of a text's language, for new paraphrases

    def commands(self) -> dict[str, Handler]:
        """Admin commands (each checks the role)."""
        guarded = {"faq": self.cmd_faq, "suatraloi": self.cmd_edit_answer, "themcau": self.cmd_add_paraphrase,
                   "themmuc": self.cmd_new_entry, "an": self.cmd_hide, "hien": self.cmd_show,
                   "lichsu": self.cmd_history, "history": self.cmd_history, "reload": self.cmd_reload}
        return {name: self._guard(name, handler) for name, handler in guarded.items()}

    # --- access ---------------------------------------------------------------------------------------------

    def _guard(self, action: str, handler: Handler) -> Handler:
        def checked(ctx: Ctx, argument: str) -> list[Reply]:
            allowed = role_of(self.store, ctx.user.key).admin
            self.admin_store.audit(ctx.user.key, action, argument[:100], allowed)
            if not allowed:
                log.warning("admin command refused (channel=%s action=%s)", ctx.msg.channel, action)
                return [Reply(self._t(ctx, "admin.not_allowed"))]
            return handler(ctx, argument)
        return checked

    def _t(self, ctx: Ctx, key: str, **values: object) -> str:
        return self.i18n.t(ctx.lang, key, **values)

    def _entry(self, ctx: Ctx, entry_id: str) -> Entry | None:
        return self.manager.current.entries.get(entry_id.strip())

    def _unknown(self, ctx: Ctx, entry_id: str) -> list[Reply]:
        return [Reply(self._t(ctx, "admin.unknown_entry", id=entry_id.strip() or "?"))]

    # --- reading --------------------------------------------------------------------------------------------

    def cmd_faq(self, ctx: Ctx, argument: str) -> list[Reply]:
        """/faq lists entries; /faq ID shows one with edit buttons."""
        if argument.strip():
            entry = self._entry(ctx, argument)
            return self._show(ctx, entry) if entry else self._unknown(ctx, argument)
        entries = sorted(self.manager.current.entries.values(), key=lambda e: e.id)
        lines = [self._t(ctx, "admin.list_header", n=self.i18n.number(ctx.lang, len(entries)))]
        lines += [f"{e.id} — {e.title.get('vi', '')}" + (" " + self._t(ctx, "admin.hidden_mark") if e.hidden else "")
                  for e in entries]
        return [Reply("\n".join(lines))]

    def _show(self, ctx: Ctx, entry: Entry) -> list[Reply]:
        count = sum(len(p) for p in entry.paraphrases.values())
        text = self._t(ctx, "admin.show", id=entry.id, title=entry.title.get("vi", ""),
                       vi=entry.answer.get("vi", ""), en=entry.answer.get("en", "–"),
                       paraphrases=self.i18n.number(ctx.lang, count),
                       state=self._t(ctx, "admin.state_hidden" if entry.hidden else "admin.state_visible"))
        rows = ((Button(self._t(ctx, "admin.btn_answer_vi"), f"{P}ans:vi:{entry.id}"),
                 Button(self._t(ctx, "admin.btn_answer_en"), f"{P}ans:en:{entry.id}")),
                (Button(self._t(ctx, "admin.btn_paraphrase"), f"{P}par:{entry.id}"),
                 Button(self._t(ctx, "admin.btn_show" if entry.hidden else "admin.btn_hide"),
                        f"{P}{'show' if entry.hidden else 'hide'}:{entry.id}")),
                (Button(self._t(ctx, "admin.btn_history"), f"{P}hist:{entry.id}"),))
        return [Reply(text, rows)]

    # --- editing --------------------------------------------------------------------------------------------

    def cmd_edit_answer(self, ctx: Ctx, argument: str) -> list[Reply]:
        """/suatraloi ID [vi|en]: the next message becomes the new answer."""
        entry_id, _, lang = argument.strip().partition(" ")
        return self._ask_input(ctx, "answer", entry_id, lang.strip() or "vi")

    def _ask_input(self, ctx: Ctx, action: str, entry_id: str, lang: str = "vi") -> list[Reply]:
        if self._entry(ctx, entry_id) is None:
            return self._unknown(ctx, entry_id)
        if lang not in LANGS:
            return [Reply(self._t(ctx, "admin.bad_lang"))]
        ctx.user.state, ctx.user.data = State.ADMIN_INPUT, {"action": action, "entry": entry_id, "lang": lang}
        cancel = ((Button(self._t(ctx, "admin.btn_cancel"), P + "cancel"),),)
        return [Reply(self._t(ctx, f"admin.ask_{action}", id=entry_id, language=lang), cancel)]

    def on_message(self, ctx: Ctx) -> list[Reply] | None:
        """The text an admin was asked for; the role is checked again before anything is stored."""
        data, text = ctx.user.data, ctx.msg.text.strip()
        ctx.user.reset()
        if not role_of(self.store, ctx.user.key).admin:
            return [Reply(self._t(ctx, "admin.not_allowed"))]
        action, entry_id, lang = data.get("action"), data.get("entry", ""), data.get("lang", "vi")
        if action == "answer":
            return self._set_answer(ctx, entry_id, lang, text)
        if action == "paraphrase":
            return self._add_paraphrase(ctx, entry_id, text)
        if action == "new_entry":
            return self._create_entry(ctx, entry_id, data.get("title", ""), text)
        return None

    def _set_answer(self, ctx: Ctx, entry_id: str, lang: str, text: str) -> list[Reply]:
        entry = self._entry(ctx, entry_id)
        if entry is None:
            return self._unknown(ctx, entry_id)
        if not text:
            return [Reply(self._t(ctx, "admin.answer_empty"))]
        if len(text) > min(ANSWER_MAX, ZALO_LIMIT):
            return [Reply(self._t(ctx, "admin.answer_long", max=ANSWER_MAX, n=len(text)))]
        return self._save(ctx, entry_id, "answer", lang, text, entry.answer.get(lang))

    def cmd_add_paraphrase(self, ctx: Ctx, argument: str) -> list[Reply]:
        """/themcau ID câu hỏi: one more way of asking an entry."""
        entry_id, _, text = argument.strip().partition(" ")
        if not text.strip():
            return self._ask_input(ctx, "paraphrase", entry_id)
        return self._add_paraphrase(ctx, entry_id, text.strip())

    def _add_paraphrase(self, ctx: Ctx, entry_id: str, text: str) -> list[Reply]:
        entry = self._entry(ctx, entry_id)
        if entry is None:
            return self._unknown(ctx, entry_id)
        if not 2 <= len(text) <= PARAPHRASE_MAX:
            return [Reply(self._t(ctx, "admin.paraphrase_length", max=PARAPHRASE_MAX))]
        lang = self.language_of(text) or "vi"
        return self._save(ctx, entry_id, "paraphrase", lang, text, None)

    def cmd_new_entry(self, ctx: Ctx, argument: str) -> list[Reply]:
        """/themmuc ID Tiêu đề: a new entry; the next message is its answer."""
        entry_id, _, title = argument.strip().partition(" ")
        if not ENTRY_ID.match(entry_id) or not title.strip():
            return [Reply(self._t(ctx, "admin.new_entry_format"))]
        if entry_id in self.manager.current.entries:
            return [Reply(self._t(ctx, "admin.entry_exists", id=entry_id))]
        if len(title.strip()) > TITLE_MAX:
            return [Reply(self._t(ctx, "admin.title_long", max=TITLE_MAX))]
        ctx.user.state = State.ADMIN_INPUT
        ctx.user.data = {"action": "new_entry", "entry": entry_id, "title": title.strip()}
        return [Reply(self._t(ctx, "admin.ask_new_entry", id=entry_id),
                      ((Button(self._t(ctx, "admin.btn_cancel"), P + "cancel"),),))]

    def _create_entry(self, ctx: Ctx, entry_id: str, title: str, answer: str) -> list[Reply]:
        if entry_id in self.manager.current.entries or not ENTRY_ID.match(entry_id) or not title:
            return [Reply(self._t(ctx, "admin.entry_exists", id=entry_id))]
        if not answer or len(answer) > ANSWER_MAX:
            return [Reply(self._t(ctx, "admin.answer_long" if answer else "admin.answer_empty",
                                  max=ANSWER_MAX, n=len(answer)))]
        return self._save(ctx, entry_id, "new_entry", "vi", {"title": title, "answer": answer}, None)

    def cmd_hide(self, ctx: Ctx, argument: str) -> list[Reply]:
        """/an ID: the entry is never answered until shown again."""
        return self._visibility(ctx, argument.strip(), "hide")

    def cmd_show(self, ctx: Ctx, argument: str) -> list[Reply]:
        """/hien ID: answer the entry again."""
        return self._visibility(ctx, argument.strip(), "show")

    def _visibility(self, ctx: Ctx, entry_id: str, kind: str) -> list[Reply]:
        entry = self._entry(ctx, entry_id)
        if entry is None:
            return self._unknown(ctx, entry_id)
        return self._save(ctx, entry_id, kind, None, kind == "hide", entry.hidden)

    def _save(self, ctx: Ctx, entry_id: str, kind: str, lang: str | None, value: object,
              previous: object) -> list[Reply]:
        """Store the revision, rebuild the content at once, confirm with an undo button."""
        rev = self.admin_store.add_revision(entry_id, kind, lang, value, previous, ctx.user.key)
        self.admin_store.audit(ctx.user.key, f"edit:{kind}", entry_id, True, f"revision {rev.id}")
        self.manager.refresh_edits()
        log.info("faq edited (kind=%s entry=%s revision=%s)", kind, entry_id, rev.id)
        undo = ((Button(self._t(ctx, "admin.btn_undo"), f"{P}rb:{rev.id}"),),)
        return [Reply(self._t(ctx, f"admin.saved_{kind}", id=entry_id), undo)]

    # --- history --------------------------------------------------------------------------------------------

    def cmd_history(self, ctx: Ctx, argument: str) -> list[Reply]:
        """/lichsu ID: the entry's edits, newest first, each with a rollback button."""
        entry_id = argument.strip()
        revisions = self.admin_store.history(entry_id, limit=10)
        if not revisions:
            return [Reply(self._t(ctx, "admin.no_history", id=entry_id or "?"))]
        lines = [self._t(ctx, "admin.history_header", id=entry_id)]
        rows: list[tuple[Button, ...]] = []
        for rev in revisions:
            value = rev.value
            shown = str(value.get("title")) if rev.kind == "new_entry" and isinstance(value, dict) else str(value)[:80]
            state = self._t(ctx, "admin.reverted") if rev.reverted_at else ""
            lines.append(f"#{rev.id} {rev.at[:16].replace('T', ' ')} {rev.kind} {rev.lang or ''}: {shown} {state}")
            if not rev.reverted_at and len(rows) < 5:
                rows.append((Button(self._t(ctx, "admin.btn_rollback", id=rev.id), f"{P}rb:{rev.id}"),))
        return [Reply("\n".join(lines), tuple(rows))]

    def _roll_back(self, ctx: Ctx, rev_id: int) -> list[Reply]:
        rev = self.admin_store.revision(rev_id)
        if rev is None:
            return [Reply(self._t(ctx, "admin.no_history", id=rev_id))]
        count = self.admin_store.roll_back(rev_id, ctx.user.key)
        self.admin_store.audit(ctx.user.key, "rollback", rev.entry_id, True, f"revision {rev_id}: {count}")
        self.manager.refresh_edits()
        return [Reply(self._t(ctx, "admin.rolled_back", id=rev.entry_id, n=count))]

    def cmd_reload(self, ctx: Ctx, argument: str) -> list[Reply]:
        """/reload: read the content files again; broken files are refused with every problem listed."""
        errors = self.manager.reload_files()
        if not errors:
            return [Reply(self._t(ctx, "admin.reloaded"))]
        lines = [self._t(ctx, "admin.reload_failed", n=len(errors))] + [f"• {e}" for e in errors[:20]]
        return [Reply("\n".join(lines))]

    # --- buttons --------------------------------------------------------------------------------------------

    def on_payload(self, ctx: Ctx, payload: str) -> list[Reply] | None:
        """Edit buttons; the role is checked on every press."""
        action, _, rest = payload[len(P):].partition(":")
        allowed = role_of(self.store, ctx.user.key).admin
        self.admin_store.audit(ctx.user.key, f"button:{action}", rest[:100], allowed)
        if not allowed:
            return [Reply(self._t(ctx, "admin.not_allowed"))]
        if action == "cancel":
            ctx.user.reset()
            return [Reply(self._t(ctx, "admin.cancelled"))]
        if action == "ans":
            lang, _, entry_id = rest.partition(":")
            return self._ask_input(ctx, "answer", entry_id, lang)
        if action == "par":
            return self._ask_input(ctx, "paraphrase", rest)
        if action in ("hide", "show"):
            return self._visibility(ctx, rest, action)
        if action == "hist":
            return self.cmd_history(ctx, rest)
        if action == "rb" and rest.isdigit():
            return self._roll_back(ctx, int(rest))
        return None
