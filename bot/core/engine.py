"""Engine.handle(Incoming) -> list[Reply]: routing, per-user state, composing replies. No transport, no SQL."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from bot.content.loader import Content, Entry
from bot.core.features import Ctx, Feature
from bot.core.ports import ConversationStore, Turn
from bot.core.messages import Incoming, Reply
from bot.core.replies import (
    P_DONE,
    P_ENTRY,
    P_GUIDES,
    P_LANG,
    P_MENU,
    P_NONE,
    P_STEP,
    Replies,
)
from bot.core.state import State, UserState
from bot.i18n import I18n
from bot.matching.build import build_matcher
from bot.matching.cache import ModelCache
from bot.matching.decision import (
    ANSWERED,
    INTENT_REPLY,
    OUT_OF_SCOPE,
    SUGGESTED,
    Answerable,
    Decision,
    Thresholds,
    decide,
)
from bot.matching.labels import ENTRY, Match
from bot.matching.live import LiveMatcher
from bot.matching.matcher import Matcher
from bot.matching.normaliser import Normalised

log = logging.getLogger(__name__)

DEEP_ENTRY = "faq_"        # /start faq_<entry id>: a t.me link straight to an answer


@dataclass
class Outcome:
    """What handling one message produced: the replies and the log line."""

    replies: list[Reply]
    turn: Turn


class Engine:
    """The conversation engine shared by every channel."""

    def __init__(self, content: Content, i18n: I18n, storage: ConversationStore, thresholds: Thresholds,
                 features: tuple[Feature, ...] = (), cache: ModelCache | None = None,
                 background_refit: bool = True) -> None:
        self.storage = storage
        self.i18n = i18n
        self.thresholds = thresholds
        self.features = features
        models = cache or ModelCache(None)    # one per engine: a refit reuses the sentences of the last one
        self.live = LiveMatcher(lambda c: build_matcher(c, models),
                                background_refit)
        self.load(content)

    @property
    def matcher(self) -> Matcher:
        """The matcher in use (the previous content's while a refit runs)."""
        assert self.live.current is not None
        return self.live.current

    def load(self, content: Content) -> None:
        """Use new content (at start, on reload, after an edit): replies at once, the matcher when refitted."""
        # built first and swapped together: a message on another thread never sees new content with old helpers
        answerable, replies = Answerable(content), Replies(content, self.i18n)
        self.content, self.answerable, self.replies = content, answerable, replies
        self.live.update(content)
        self.commands = {
            "start": self._cmd_start, "menu": self._cmd_menu, "help": self._cmd_help, "trogiup": self._cmd_help,
            "huongdan": self._cmd_guides, "android": self._cmd_os, "iphone": self._cmd_os, "ios": self._cmd_os,
            "english": self._cmd_lang, "tiengviet": self._cmd_lang,
        }
        self.feature_commands = {name: handler for f in self.features for name, handler in f.commands().items()}

    def language_of(self, text: str) -> str | None:
        """The language a text is written in, when its words say so."""
        matcher = self.matcher
        return matcher.guess_language(matcher.normaliser.normalise(text))

    def suggest_entries(self, text: str, limit: int = 3) -> list[str]:
        """The entries that best match a text, best first (for admins sorting unanswered questions)."""
        _, match = self.matcher.understand(text, self.thresholds.answer)
        return [label.id for label, _ in match.candidates if label.kind == ENTRY
                and self.answerable.usable(label.id)][:limit]

    def handle(self, msg: Incoming) -> list[Reply]:
        """Answer one incoming message; never raises."""
        return self.process(msg).replies

    def process(self, msg: Incoming) -> Outcome:
        """Answer one message and return the replies with the log line (used by `ask --json`)."""
        started = time.perf_counter()
        user = self._load_user(msg)
        lang = self.i18n.lang(user.lang or msg.language_hint)
        try:
            outcome = self._route(msg, user, lang)
        except Exception:  # a bug must cost one answer, not the bot
            log.exception("handler failed (channel=%s event=%s)", msg.channel, msg.event_id)
            user.reset()
            outcome = Outcome([self.replies.text(lang, "error.generic", with_menu=True)],
                              self._turn(msg, user, None, lang, None, "", 0.0, "error"))
        turn = outcome.turn
        outcome.turn = Turn(**{**turn.__dict__, "ms": (time.perf_counter() - started) * 1000})
        if not user.lang:
            user.lang = lang
        try:
            self.storage.save_turn(user, msg.chat_id, outcome.turn)
        except Exception:  # the citizen still gets the answer when the disk is full or locked
            log.exception("could not store a turn (channel=%s event=%s)", msg.channel, msg.event_id)
        return outcome

    def notice(self, msg: Incoming, key: str) -> Reply:
        """A catalog text for the sender, in their language, without touching their state."""
        user = self._load_user(msg)
        return self.replies.text(self.i18n.lang(user.lang or msg.language_hint), key)

    def _load_user(self, msg: Incoming) -> UserState:
        try:
            return self.storage.load_user(msg.user_key, msg.channel)
        except Exception:
            log.exception("could not load user state (channel=%s)", msg.channel)
            return UserState(msg.user_key, msg.channel)

    def _turn(self, msg: Incoming, user: UserState, norm: Normalised | None, lang: str, matched: str | None,
              kind: str, confidence: float, outcome: str) -> Turn:
        return Turn(user.key, msg.channel, msg.text or msg.payload, norm.text if norm else "", lang,
                    matched, kind, round(confidence, 4), outcome, 0.0)

    def _route(self, msg: Incoming, user: UserState, lang: str) -> Outcome:
        if msg.payload:
            return self._button(msg, user, lang, msg.payload)
        text = msg.text.strip()
        if text.startswith("/"):
            return self._command(msg, user, lang, text)
        owner = next((f for f in self.features if user.state in f.states), None)
        if owner is not None:
            replies = owner.on_message(Ctx(msg, user, lang))
            if replies is not None:
                return Outcome(replies, self._turn(msg, user, None, lang, str(user.state), "feature", 1.0, "form"))
        for feature in self.features:
            replies = feature.on_text(Ctx(msg, user, lang)) if text else None
            if replies is not None:
                return Outcome(replies, self._turn(msg, user, None, lang, None, "feature", 1.0, "feature"))
        if msg.location is not None and not text:
            return Outcome([self.replies.text(lang, "location.unused", with_menu=True)],
                           self._turn(msg, user, None, lang, None, "", 0.0, "location"))
        return self._question(msg, user, lang)

    # --- commands -------------------------------------------------------------------------------------------

    def _command(self, msg: Incoming, user: UserState, lang: str, text: str) -> Outcome:
        name, _, arg = text[1:].partition(" ")
        name = name.split("@", 1)[0].lower()   # "/start@SomeBot" in group chats
        if name == "huy":   # any form or typed input, whichever feature owns it
            was_busy = user.state != State.IDLE
            user.reset()
            return Outcome([self.replies.text(lang, "cancel.done" if was_busy else "cancel.nothing")],
                           self._turn(msg, user, None, lang, name, "command", 1.0, "command"))
        handler = self.commands.get(name)
        if handler is None:
            feature_handler = self.feature_commands.get(name)
            if feature_handler is None:
                return Outcome([self.replies.text(lang, "command.unknown", with_menu=True)],
                               self._turn(msg, user, None, lang, None, "command", 0.0, "command"))
            replies = feature_handler(Ctx(msg, user, lang), arg.strip())
            return Outcome(replies, self._turn(msg, user, None, lang, name, "command", 1.0, "command"))
        if user.state == State.GUIDE or name in ("start", "menu"):   # a half-filled form survives /help
            user.reset()
        ctx = Ctx(msg, user, lang)
        replies = handler(ctx, name, arg.strip())
        return Outcome(replies, self._turn(msg, user, None, ctx.lang, name, "command", 1.0, "command"))

    def _cmd_start(self, ctx: Ctx, name: str, arg: str) -> list[Reply]:
        user, lang = ctx.user, ctx.lang
        # t.me links allow only A-Z a-z 0-9 _ -: "faq_<id>" there, "f:<id>" from our own buttons.
        entry_id = next((arg[len(p):] for p in (P_ENTRY, DEEP_ENTRY) if arg.startswith(p)), None)
        if entry_id in self.content.entries:
            return [self._entry_reply(user, lang, self.content.entries[entry_id])]
        if arg:
            for feature in self.features:
                replies = feature.on_start(ctx, arg)
                if replies is not None:
                    return replies
        return self.replies.welcome(lang)

    def _cmd_menu(self, ctx: Ctx, name: str, arg: str) -> list[Reply]:
        return [self.replies.main_menu(ctx.lang)]

    def _cmd_help(self, ctx: Ctx, name: str, arg: str) -> list[Reply]:
        return self.replies.help(ctx.lang)

    def _cmd_guides(self, ctx: Ctx, name: str, arg: str) -> list[Reply]:
        return [self.replies.guides_list(ctx.lang, ctx.user.os)]

    def _cmd_os(self, ctx: Ctx, name: str, arg: str) -> list[Reply]:
        user, lang = ctx.user, ctx.lang
        user.os = "android" if name == "android" else "ios"
        entry = next((e for e in self.content.entries.values() if e.sets_os == user.os), None)
        if entry is None:
            return [self.replies.guides_list(lang, user.os)]
        return [self._entry_reply(user, lang, entry)]

    def _cmd_lang(self, ctx: Ctx, name: str, arg: str) -> list[Reply]:
        user = ctx.user
        user.lang = ctx.lang = "en" if name == "english" else "vi"
        return [self.replies.main_menu(user.lang, "lang.switched")]

    # --- buttons --------------------------------------------------------------------------------------------

    def _button(self, msg: Incoming, user: UserState, lang: str, payload: str) -> Outcome:
        replies = self._button_replies(user, lang, payload, msg)
        matched = payload[len(P_ENTRY):] if payload.startswith(P_ENTRY) else None
        outcome = "button" if replies is not None else "stale"
        if replies is None:   # an old or forged button: say so kindly and show the menu
            user.reset()
            replies = [self.replies.main_menu(lang, "button.stale")]
        return Outcome(replies, self._turn(msg, user, None, lang, matched, "button", 1.0, outcome))

    def _button_replies(self, user: UserState, lang: str, payload: str, msg: Incoming) -> list[Reply] | None:
        for feature in self.features:
            if feature.prefix and payload.startswith(feature.prefix):
                return feature.on_payload(Ctx(msg, user, lang), payload)
        if payload == P_MENU:
            user.reset()
            return [self.replies.main_menu(lang)]
        if payload == P_GUIDES:
            return [self.replies.guides_list(lang, user.os)]
        if payload == P_NONE:
            user.reset()
            return self.replies.fallback(lang, "fallback.none")
        if payload.startswith(P_LANG) and payload[len(P_LANG):] in ("vi", "en"):
            user.lang = payload[len(P_LANG):]
            return [self.replies.main_menu(user.lang, "lang.switched")]
        if payload.startswith(P_ENTRY):
            entry = self.content.entries.get(payload[len(P_ENTRY):])
            return [self._entry_reply(user, lang, entry)] if entry and not entry.hidden else None
        if payload.startswith(P_DONE) and payload[len(P_DONE):] in self.content.guides:
            user.reset()
            return [self.replies.guide_done(lang)]
        if payload.startswith(P_STEP):
            return self._guide_step(user, lang, payload[len(P_STEP):])
        return None

    def _guide_step(self, user: UserState, lang: str, arg: str) -> list[Reply] | None:
        guide_id, _, step = arg.rpartition(":")
        guide = self.content.guides.get(guide_id)
        if guide is None or not step.isdigit() or int(step) >= len(guide.steps):
            return None
        index = int(step)
        if guide.os and not user.os:
            user.os = guide.os
        edit = user.state == State.GUIDE and user.data.get("guide") == guide.id
        user.state, user.data = State.GUIDE, {"guide": guide.id, "step": index}
        return [self.replies.guide_step(lang, guide, index, edit=edit and index != 0)]

    # --- questions ------------------------------------------------------------------------------------------

    def _entry_reply(self, user: UserState, lang: str, entry: Entry) -> Reply:
        if entry.sets_os:
            user.os = entry.sets_os
        guides = [self.content.guides[g] for g in entry.guides if g in self.content.guides]
        if user.os:
            own = [g for g in guides if g.os == user.os]
            if entry.start_guide and own:
                user.state, user.data = State.GUIDE, {"guide": own[0].id, "step": 0}
                step = self.replies.guide_step(lang, own[0], 0, edit=False)
                return Reply(step.text, step.buttons, step.image, meta={"id": entry.id})
            guides = [g for g in guides if g.os in ("", user.os)]
        return self.replies.entry(lang, entry, guides)

    def _question(self, msg: Incoming, user: UserState, lang: str) -> Outcome:
        matcher = self.matcher
        norm, match = matcher.understand(msg.text, self.thresholds.answer)
        if not norm.tokens:
            return Outcome([self.replies.main_menu(lang, "empty.prompt")],
                           self._turn(msg, user, norm, lang, None, "", 0.0, "empty"))
        # Each message is answered in the language it was written in; an unclear one keeps the user's.
        lang = matcher.guess_language(norm) or lang
        user.reset()
        replies, outcome, matched = self._answer(user, lang, match)
        kind = match.label.kind if match.label else ""
        return Outcome(replies, self._turn(msg, user, norm, lang, matched, kind, match.confidence, outcome))

    def decide(self, match: Match) -> Decision:
        """The band a verdict falls in, against the current content."""
        return decide(match, self.thresholds, self.answerable)

    def _answer(self, user: UserState, lang: str, match: Match) -> tuple[list[Reply], str, str | None]:
        decision = self.decide(match)
        if decision.outcome == ANSWERED and decision.label_id:
            reply = self._entry_reply(user, lang, self.content.entries[decision.label_id])
            if decision.also:   # a second question in the same message: offered, not answered over the first
                return [reply, self.replies.also(lang, decision.also)], decision.outcome, decision.label_id
            return [reply], decision.outcome, decision.label_id
        if decision.outcome == INTENT_REPLY and decision.label_id:
            return self._small_talk(lang, decision.label_id), decision.outcome, decision.label_id
        if decision.outcome == SUGGESTED:
            return [self.replies.suggestions(lang, list(decision.suggestions))], decision.outcome, decision.label_id
        key = "fallback.out_of_scope" if decision.outcome == OUT_OF_SCOPE else "fallback.unknown"
        return self.replies.fallback(lang, key), decision.outcome, decision.label_id

    def _small_talk(self, lang: str, intent_id: str) -> list[Reply]:
        intent = self.content.intents[intent_id]
        if intent_id == "help":
            return self.replies.help(lang)
        reply = self.replies.text(lang, intent.reply)
        return [reply, self.replies.main_menu(lang, "menu.prompt_short")] if intent_id == "greeting" else [reply]
