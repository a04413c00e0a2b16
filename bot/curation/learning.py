"""Learning from citizens: the questions the bot could not answer, grouped, turned into paraphrases or new
entries in two taps; weekly figures by channel. Admins only, audited."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta, timezone
from typing import Callable

from rapidfuzz import fuzz

from bot.campaign.roles import role_of
from bot.clock import Clock
from bot.core.features import Ctx, Feature, Handler
from bot.core.messages import Button, Reply
from bot.curation.live import ContentManager
from bot.i18n import I18n
from bot.storage.admin_store import AdminStore
from bot.storage.campaign_store import CampaignStore

log = logging.getLogger(__name__)

P = "u:"
SAME_QUESTION = 85      # token-set similarity (0..100) at which two normalised questions are one group
SHOWN_GROUPS = 5
OUTCOMES = ("answered", "intent", "suggested", "unanswered", "out_of_scope")


@dataclass
class Group:
    """Near-duplicate questions: the most asked wording represents them."""

    rowid: int
    text: str
    best_id: str | None
    count: int
    keys: list[str]


def group_questions(rows: list[tuple]) -> list[Group]:
    """Greedy grouping of (rowid, key, text, count, best_id, channel) rows, most asked first."""
    groups: list[Group] = []
    for rowid, key, text, count, best_id, _ in rows:
        home = next((g for g in groups if fuzz.token_set_ratio(key, g.keys[0], processor=None) >= SAME_QUESTION),
                    None)
        if home is None:
            groups.append(Group(rowid, text, best_id, count, [key]))
        else:
            home.count += count
            home.keys.append(key)
    return sorted(groups, key=lambda g: -g.count)


class Learning(Feature):
    """/chuatraloi and /thongke for admins."""

    prefix = P

    def __init__(self, manager: ContentManager, admin_store: AdminStore, store: CampaignStore, i18n: I18n,
                 clock: Clock, suggest: Callable[[str], list[str]]) -> None:
        self.manager, self.admin_store, self.store, self.i18n, self.clock = manager, admin_store, store, i18n, clock
        self.suggest = suggest      # the engine's best entry ids for a text

    def commands(self) -> dict[str, Handler]:
        """Admin commands."""
        return {"chuatraloi": self.cmd_unanswered, "unanswered": self.cmd_unanswered, "thongke": self.cmd_stats}

    def _t(self, ctx: Ctx, key: str, **values: object) -> str:
        return self.i18n.t(ctx.lang, key, **values)

    def _allowed(self, ctx: Ctx, action: str, target: str = "") -> bool:
        allowed = role_of(self.store, ctx.user.key).admin
        self.admin_store.audit(ctx.user.key, action, target, allowed)
        if not allowed:
            log.warning("admin command refused (channel=%s action=%s)", ctx.msg.channel, action)
        return allowed

    def _title(self, ctx: Ctx, entry_id: str) -> str:
        entry = self.manager.current.entries.get(entry_id)
        return self.manager.current.text(entry.title, ctx.lang) if entry else entry_id

    def cmd_unanswered(self, ctx: Ctx, argument: str) -> list[Reply]:
        """The most asked unanswered questions, each with what to do about it."""
        if not self._allowed(ctx, "unanswered"):
            return [Reply(self._t(ctx, "admin.not_allowed"))]
        groups = group_questions(self.admin_store.open_unanswered())
        if not groups:
            return [Reply(self._t(ctx, "learn.none"))]
        replies = [Reply(self._t(ctx, "learn.header", n=self.i18n.number(ctx.lang, len(groups))))]
        for group in groups[:SHOWN_GROUPS]:
            replies.append(self._group_reply(ctx, group))
        return replies

    def _group_reply(self, ctx: Ctx, group: Group) -> Reply:
        text = self._t(ctx, "learn.group", text=group.text, count=self.i18n.number(ctx.lang, group.count),
                       variants=self.i18n.number(ctx.lang, len(group.keys)))
        rows: list[tuple[Button, ...]] = []
        candidates = [group.best_id] if group.best_id in self.manager.current.entries else []
        candidates += [c for c in self.suggest(group.text) if c not in candidates]
        for entry_id in candidates[:2]:
            rows.append((Button(self._t(ctx, "learn.btn_is", title=self._title(ctx, entry_id))[:60],
                                f"{P}is:{group.rowid}:{entry_id}"),))
        rows.append((Button(self._t(ctx, "learn.btn_new"), f"{P}new:{group.rowid}"),
                     Button(self._t(ctx, "learn.btn_ignore"), f"{P}ign:{group.rowid}")))
        return Reply(text, tuple(rows))

    def on_payload(self, ctx: Ctx, payload: str) -> list[Reply] | None:
        """'This is entry X', 'new entry', 'ignore'."""
        action, _, rest = payload[len(P):].partition(":")
        rowid_text, _, entry_id = rest.partition(":")
        if not rowid_text.isdigit():
            return None
        if not self._allowed(ctx, f"unanswered:{action}", rest):
            return [Reply(self._t(ctx, "admin.not_allowed"))]
        row = self.admin_store.unanswered_row(int(rowid_text))
        if row is None:
            return [Reply(self._t(ctx, "learn.already_done"))]
        group = next((g for g in group_questions(self.admin_store.open_unanswered()) if row[1] in g.keys), None)
        keys = group.keys if group else [row[1]]
        if action == "ign":
            self.admin_store.close_unanswered(keys, "ignored", None)
            return [Reply(self._t(ctx, "learn.ignored"))]
        if action == "new":
            return [Reply(self._t(ctx, "learn.how_new", text=row[2]))]
        if action == "is" and entry_id in self.manager.current.entries:
            self.admin_store.add_revision(entry_id, "paraphrase", "vi", row[2], None, ctx.user.key)
            self.admin_store.close_unanswered(keys, "resolved", entry_id)
            self.manager.refresh_edits()
            return [Reply(self._t(ctx, "learn.added", text=row[2], title=self._title(ctx, entry_id)))]
        return None

    def cmd_stats(self, ctx: Ctx, argument: str) -> list[Reply]:
        """Questions of the last 7 days by channel: asked, answered, unsure, unanswered."""
        if not self._allowed(ctx, "stats"):
            return [Reply(self._t(ctx, "admin.not_allowed"))]
        # The message log is stamped in UTC: compare in UTC.
        since = (self.clock() - timedelta(days=7)).astimezone(timezone.utc).isoformat(timespec="seconds")
        table: dict[str, dict[str, int]] = {}
        for channel, outcome, count in self.admin_store.outcomes_since(since):
            table.setdefault(channel, dict.fromkeys(OUTCOMES, 0))[outcome] = count
        if not table:
            return [Reply(self._t(ctx, "learn.stats_none"))]
        n = lambda v: self.i18n.number(ctx.lang, v)  # noqa: E731
        lines = [self._t(ctx, "learn.stats_header")]
        for channel, counts in sorted(table.items()):
            lines.append(self._t(ctx, "learn.stats_line", channel=channel, asked=n(sum(counts.values())),
                                 answered=n(counts["answered"] + counts["intent"]), unsure=n(counts["suggested"]),
                                 unanswered=n(counts["unanswered"] + counts["out_of_scope"])))
        return [Reply("\n".join(lines))]
