"""Composing replies from content and catalogs: menus, answers, suggestions, guide steps, fallbacks."""
from __future__ import annotations

from bot.content.loader import Content, Entry, Guide
from bot.core.messages import Button, Reply
from bot.i18n import I18n

# Payloads are short on purpose: Telegram allows 64 bytes of callback data.
P_MENU = "m"
P_ENTRY = "f:"          # f:<entry id>
P_STEP = "g:"           # g:<guide id>:<step index>
P_DONE = "gd:"          # gd:<guide id>
P_NONE = "x"            # none of the suggestions fit
P_LANG = "l:"           # l:<vi|en>
P_GUIDES = "gl"         # the list of guides


class Replies:
    """Builds Reply objects in the user's language; knows no state and no storage."""

    def __init__(self, content: Content, i18n: I18n) -> None:
        self.content = content
        self.i18n = i18n

    def t(self, lang: str, key: str, **values: object) -> str:
        """Catalog text, with the app's name available as {app}."""
        return self.i18n.t(lang, key, app=self.content.pack.app_name, **values)

    def menu_button(self, lang: str) -> Button:
        """The button back to the main menu."""
        return Button(self.t(lang, "button.menu"), P_MENU)

    def entry_button(self, lang: str, entry_id: str) -> Button:
        """A button that asks an entry."""
        return Button(self.content.text(self.content.entries[entry_id].title, lang), P_ENTRY + entry_id)

    def guide_button(self, lang: str, guide: Guide) -> Button:
        """A button that starts a guide."""
        return Button(self.content.text(guide.title, lang), f"{P_STEP}{guide.id}:0")

    def main_menu(self, lang: str, text_key: str = "menu.prompt") -> Reply:
        """The main menu: one button per menu entry, two per row, and the guides list."""
        buttons = [self.entry_button(lang, i) for i in self.content.pack.menu if i in self.content.entries]
        rows = [tuple(buttons[i:i + 2]) for i in range(0, len(buttons), 2)]
        rows.append((Button(self.t(lang, "button.guides"), P_GUIDES),))
        return Reply(self.t(lang, text_key), tuple(rows))

    def welcome(self, lang: str) -> list[Reply]:
        """The greeting for a new conversation with the pack's time frame, then the main menu."""
        note = self.content.text(self.content.pack.note, lang)
        return [Reply(self.t(lang, "welcome") + (f"\n\n{note}" if note else "")), self.main_menu(lang)]

    def help(self, lang: str) -> list[Reply]:
        """What the bot can do, the pack's time frame, and the main menu."""
        note = self.content.text(self.content.pack.note, lang)
        text = self.t(lang, "help.text") + (f"\n\n{note}" if note else "")
        return [Reply(text), self.main_menu(lang)]

    def entry(self, lang: str, entry: Entry, guides: list[Guide]) -> Reply:
        """An entry's answer with buttons: its guides, its related entries, the main menu."""
        rows: list[tuple[Button, ...]] = [(self.guide_button(lang, g),) for g in guides]
        related = [self.entry_button(lang, r) for r in entry.related if r in self.content.entries]
        rows += [tuple(related[i:i + 2]) for i in range(0, len(related), 2)]
        rows.append((self.menu_button(lang),))
        return Reply(self.content.text(entry.answer, lang), tuple(rows), meta={"id": entry.id})

    def guide_step(self, lang: str, guide: Guide, index: int, edit: bool) -> Reply:
        """One step of a guide, with Back / Next or Done."""
        step = guide.steps[index]
        total = len(guide.steps)
        header = self.t(lang, "guide.header", title=self.content.text(guide.title, lang),
                        n=self.i18n.number(lang, index + 1), total=self.i18n.number(lang, total))
        nav = []
        if index > 0:
            nav.append(Button(self.t(lang, "button.back"), f"{P_STEP}{guide.id}:{index - 1}"))
        if index + 1 < total:
            nav.append(Button(self.t(lang, "button.next"), f"{P_STEP}{guide.id}:{index + 1}"))
        else:
            nav.append(Button(self.t(lang, "button.done"), P_DONE + guide.id))
        image = str(self.content.base_dir / step.image) if step.image else None
        return Reply(f"{header}\n\n{self.content.text(step.text, lang)}", (tuple(nav), (self.menu_button(lang),)),
                     image=image, edit=edit, meta={"guide": guide.id, "step": index})

    def guide_done(self, lang: str) -> Reply:
        """The end of a guide."""
        return Reply(self.t(lang, "guide.done"), ((self.menu_button(lang),),))

    def guides_list(self, lang: str, os_: str) -> Reply:
        """Every guide, those for the user's phone first."""
        guides = sorted(self.content.guides.values(), key=lambda g: (bool(os_) and g.os not in ("", os_), g.id))
        rows = tuple((self.guide_button(lang, g),) for g in guides) + ((self.menu_button(lang),),)
        return Reply(self.t(lang, "guides.prompt"), rows)

    def suggestions(self, lang: str, entry_ids: list[str]) -> Reply:
        """'Did you mean…' with up to three entries and a 'none of these' button."""
        rows = tuple((self.entry_button(lang, i),) for i in entry_ids[:3])
        rows += ((Button(self.t(lang, "button.none"), P_NONE),),)
        return Reply(self.t(lang, "suggest.prompt"), rows)

    def also(self, lang: str, entry_id: str) -> Reply:
        """The second question of a message, offered as a button after the first one's answer."""
        return Reply(self.t(lang, "answer.also"), ((self.entry_button(lang, entry_id),),))

    def fallback(self, lang: str, key: str = "fallback.unknown") -> list[Reply]:
        """The polite 'I cannot answer that' with how to reach a person, then the main menu."""
        support = self.content.text(self.content.pack.support, lang)
        return [Reply(self.t(lang, key) + "\n\n" + support), self.main_menu(lang, "menu.prompt_short")]

    def text(self, lang: str, key: str, with_menu: bool = False, **values: object) -> Reply:
        """A catalog text as a reply, optionally with the menu button."""
        rows = ((self.menu_button(lang),),) if with_menu else ()
        return Reply(self.t(lang, key, **values), rows)
