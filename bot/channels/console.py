"""The console channel: a terminal chat over the engine; buttons become numbered choices."""
from __future__ import annotations

import json
from typing import Callable, Iterable, TextIO

from bot.core.engine import Engine
from bot.core.messages import Button, Incoming, Reply

CHANNEL = "console"
QUIT = ("/thoat", "/quit", "/exit")


def render(reply: Reply, first_number: int = 1) -> str:
    """A reply as terminal text: the message, an image note, then numbered buttons."""
    lines = [reply.text]
    if reply.image:
        lines.append(f"[ảnh: {reply.image}]")
    if reply.document:
        lines.append(f"[tệp: {reply.document}]")
    for number, button in enumerate(reply.flat_buttons(), first_number):
        lines.append(f"  {number}. {button.label}")
    return "\n".join(lines)


class ConsoleChat:
    """Reads lines, sends them to the engine, prints replies; a typed number presses that button."""

    def __init__(self, engine: Engine, user_id: str = "local", lang_hint: str = "") -> None:
        self.engine = engine
        self.user_id = user_id
        self.lang_hint = lang_hint
        self.buttons: list[Button] = []

    def incoming(self, line: str) -> Incoming:
        """The Incoming for one typed line (a number picks a shown button)."""
        text = line.strip()
        if text.isdigit() and 1 <= int(text) <= len(self.buttons):
            return Incoming(CHANNEL, self.user_id, self.user_id, payload=self.buttons[int(text) - 1].payload,
                            language_hint=self.lang_hint)
        return Incoming(CHANNEL, self.user_id, self.user_id, text=line, language_hint=self.lang_hint)

    def say(self, line: str) -> str:
        """Handle one line and return what the terminal shows."""
        replies = self.engine.handle(self.incoming(line))
        self.buttons = []
        shown = []
        for reply in replies:
            shown.append(render(reply, len(self.buttons) + 1))
            self.buttons.extend(reply.flat_buttons())
        return "\n\n".join(shown)

    def run(self, lines: Iterable[str], out: TextIO, prompt: Callable[[], None] | None = None) -> None:
        """Chat until the input ends or the user types /thoat."""
        for line in lines:
            if line.strip().lower() in QUIT:
                break
            out.write(self.say(line.rstrip("\n")) + "\n\n")
            out.flush()
            if prompt:
                prompt()


def ask_lines(engine: Engine, questions: Iterable[str], out: TextIO, as_json: bool) -> None:
    """Answer each question on its own (one line in, one answer out), for scripts and the scorer."""
    for number, question in enumerate(questions, 1):
        question = question.rstrip("\n")
        # each line is a new user: a batch's answers never depend on its order
        user = f"ask-{number}"
        outcome = engine.process(Incoming("cli", user, user, text=question))
        turn = outcome.turn
        answered = turn.outcome in ("answered", "intent")
        if as_json:
            record = {"id": turn.matched_id if answered else None, "confidence": turn.confidence,
                      "outcome": turn.outcome, "lang": turn.lang,
                      "reply": "\n\n".join(r.text for r in outcome.replies),
                      "buttons": [b.label for r in outcome.replies for b in r.flat_buttons()]}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            out.write("\n\n".join(render(r) for r in outcome.replies) + "\n\n")
    out.flush()
