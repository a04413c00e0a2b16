"""Logging household visits from the chat: the guided form, the quick form, today's list, edit and undo."""
from __future__ import annotations

import logging
from dataclasses import asdict

from bot.campaign.roles import role_of
from bot.campaign.visit_rules import (
    NOTE_MAX,
    NUMBER_FIELDS,
    Problem,
    check,
    check_field,
    parse_count,
    parse_label,
    parse_quick,
    upper_bound,
)
from bot.clock import Clock
from bot.core.features import Ctx, Feature, Handler
from bot.core.messages import Button, Reply
from bot.core.state import State
from bot.i18n import I18n
from bot.storage.campaign_store import Area, CampaignStore, Visit, VisitInput

log = logging.getLogger(__name__)

P = "v:"
STEPS = ("label",) + NUMBER_FIELDS + ("note", "location", "confirm")
SKIP_WORDS = {"bo qua", "bỏ qua", "skip", "khong", "không", "ko", "k", "-"}
BUTTON_MAX = 8          # number buttons shown; larger numbers are typed


class Visits(Feature):
    """The visit form as a feature of the engine."""

    prefix = P
    states = frozenset({State.VISIT_FORM})

    def __init__(self, store: CampaignStore, i18n: I18n, clock: Clock) -> None:
        self.store = store
        self.i18n = i18n
        self.clock = clock

    def commands(self) -> dict[str, Handler]:
        """Team commands."""
        return {"ghi": self.cmd_log, "g": self.cmd_log, "homnay": self.cmd_today, "sua": self.cmd_edit_last,
                "hoantac": self.cmd_undo}

    # --- entry points ---------------------------------------------------------------------------------------

    def _village(self, ctx: Ctx) -> Area | None:
        member = role_of(self.store, ctx.user.key).member
        return self.store.area(member.area_id) if member else None

    def _t(self, ctx: Ctx, key: str, **values: object) -> str:
        return self.i18n.t(ctx.lang, key, **values)

    def _not_member(self, ctx: Ctx) -> list[Reply]:
        log.info("visit refused: not a team member (channel=%s)", ctx.msg.channel)
        return [Reply(self._t(ctx, "visit.not_member"))]

    def cmd_log(self, ctx: Ctx, argument: str) -> list[Reply]:
        """/ghi starts the form; /ghi LABEL R S A I [; note] logs in one line."""
        if self._village(ctx) is None:
            return self._not_member(ctx)
        if argument:
            parsed = parse_quick(argument)
            if isinstance(parsed, Problem):
                return [self._problem(ctx, parsed, example=True)]
            self._open(ctx, asdict(parsed), "confirm")
            return [self._summary(ctx)]
        self._open(ctx, {}, "label")
        return [self._ask(ctx)]

    def cmd_cancel(self, ctx: Ctx, argument: str) -> list[Reply]:
        """/huy drops the form being filled in."""
        was_open = ctx.user.state == State.VISIT_FORM
        ctx.user.reset()
        return [Reply(self._t(ctx, "visit.cancelled" if was_open else "visit.nothing_open"))]

    def cmd_today(self, ctx: Ctx, argument: str) -> list[Reply]:
        """/homnay lists the member's visits today."""
        if self._village(ctx) is None:
            return self._not_member(ctx)
        visits = self.store.visits_by(ctx.user.key, self.clock().date().isoformat())
        if not visits:
            return [Reply(self._t(ctx, "visit.today_none"), ((Button(self._t(ctx, "visit.btn_new"), P + "new"),),))]
        lines = [self._t(ctx, "visit.today_header", n=self.i18n.number(ctx.lang, len(visits)))]
        lines += [self._line(ctx, i, v) for i, v in enumerate(visits, 1)]
        rows = ((Button(self._t(ctx, "visit.btn_new"), P + "new"),
                 Button(self._t(ctx, "visit.btn_edit_last"), P + "editlast")),
                (Button(self._t(ctx, "visit.btn_undo_last"), P + "undolast"),))
        return [Reply("\n".join(lines), rows)]

    def cmd_edit_last(self, ctx: Ctx, argument: str) -> list[Reply]:
        """/sua reopens the last visit's figures for correction."""
        last = self.store.last_visit(ctx.user.key) if self._village(ctx) else None
        if last is None:
            return [Reply(self._t(ctx, "visit.no_last"))]
        self._open(ctx, {**asdict(last.data)}, "confirm")
        ctx.user.data["replaces"] = last.id
        return [self._summary(ctx)]

    def cmd_undo(self, ctx: Ctx, argument: str) -> list[Reply]:
        """/hoantac asks to confirm undoing the last visit."""
        last = self.store.last_visit(ctx.user.key) if self._village(ctx) else None
        if last is None:
            return [Reply(self._t(ctx, "visit.no_last"))]
        rows = ((Button(self._t(ctx, "visit.btn_undo_yes"), f"{P}undo:{last.id}"),
                 Button(self._t(ctx, "visit.btn_keep"), P + "keep")),)
        return [Reply(self._t(ctx, "visit.undo_confirm", line=self._line(ctx, 1, last)), rows)]

    # --- the form -------------------------------------------------------------------------------------------

    def _open(self, ctx: Ctx, values: dict, step: str) -> None:
        ctx.user.state = State.VISIT_FORM
        ctx.user.data = {"step": step, "values": values}

    def _values(self, ctx: Ctx) -> dict:
        return ctx.user.data.setdefault("values", {})

    def _step(self, ctx: Ctx) -> str:
        return ctx.user.data.get("step", "label")

    def _advance(self, ctx: Ctx) -> list[Reply]:
        """Go to the next unanswered step, or back to the summary when correcting one field."""
        values, step = self._values(ctx), self._step(ctx)
        if ctx.user.data.pop("back_to_summary", False):
            problem = check(self._input(values))
            if problem is None:
                ctx.user.data["step"] = "confirm"
                return [self._summary(ctx)]
        following = STEPS[STEPS.index(step) + 1:]
        ctx.user.data["step"] = next((s for s in following if s not in values), "confirm")
        return [self._summary(ctx) if ctx.user.data["step"] == "confirm" else self._ask(ctx)]

    def _ask(self, ctx: Ctx, problem: Problem | None = None) -> Reply:
        step, values = self._step(ctx), self._values(ctx)
        text = self._t(ctx, f"visit.ask_{step}", label=values.get("label", ""))
        if problem is not None:
            text = self._t(ctx, problem.key, **problem.values) + "\n\n" + text
        rows: list[tuple[Button, ...]] = []
        if step in NUMBER_FIELDS:
            low = 1 if step == "residents" else 0
            numbers = [Button(str(n), f"{P}n:{step}:{n}")
                       for n in range(low, min(upper_bound(step, values), BUTTON_MAX) + 1)]
            rows = [tuple(numbers[i:i + 5]) for i in range(0, len(numbers), 5)]
        if step in ("note", "location"):
            rows.append((Button(self._t(ctx, "visit.btn_skip"), f"{P}skip:{step}"),))
        rows.append((Button(self._t(ctx, "visit.btn_cancel"), P + "cancel"),))
        return Reply(text, tuple(rows))

    def on_message(self, ctx: Ctx) -> list[Reply] | None:
        """A typed answer (or a shared location) for the current step."""
        step, text = self._step(ctx), ctx.msg.text.strip()
        if step == "location" and ctx.msg.location is not None:
            self._values(ctx).update(latitude=ctx.msg.location.latitude, longitude=ctx.msg.location.longitude)
            return self._advance(ctx)
        if step == "confirm":
            return [self._summary(ctx, hint=True)]
        if step in ("note", "location") and text.casefold() in SKIP_WORDS:
            self._values(ctx)[step] = ""
            return self._advance(ctx)
        if step == "location":
            return [self._ask(ctx, Problem("visit.err.location", {}))]
        return self._answer(ctx, step, text)

    def _answer(self, ctx: Ctx, step: str, text: str) -> list[Reply]:
        values = self._values(ctx)
        parsed: str | int | Problem
        if step == "label":
            parsed = parse_label(text)
        elif step == "note":
            parsed = text[:NOTE_MAX] if text else Problem("visit.err.note_empty", {})
        else:
            parsed = parse_count(text)
            if not isinstance(parsed, Problem):
                parsed = check_field(step, parsed, values) or parsed
        if isinstance(parsed, Problem):
            return [self._ask(ctx, parsed)]
        values[step] = parsed
        if step in NUMBER_FIELDS:   # a changed number may invalidate the ones after it: ask them again
            for later in NUMBER_FIELDS[NUMBER_FIELDS.index(step) + 1:]:
                if later in values and check_field(later, values[later], values):
                    values.pop(later)
                    ctx.user.data.pop("back_to_summary", None)
        return self._advance(ctx)

    def _input(self, values: dict) -> VisitInput:
        return VisitInput(values.get("label", ""), values.get("residents", 0), values.get("smartphones", 0),
                          values.get("had_app", 0), values.get("installed", 0), values.get("note") or "",
                          values.get("latitude"), values.get("longitude"))

    def _summary(self, ctx: Ctx, hint: bool = False) -> Reply:
        data = self._input(self._values(ctx))
        n = lambda v: self.i18n.number(ctx.lang, v)  # noqa: E731
        text = self._t(ctx, "visit.summary", label=data.label, residents=n(data.residents),
                       smartphones=n(data.smartphones), had_app=n(data.had_app), installed=n(data.installed),
                       note=data.note or "–",
                       location=self._t(ctx, "visit.loc_yes" if data.latitude is not None else "visit.loc_no"))
        if hint:
            text = self._t(ctx, "visit.use_buttons") + "\n\n" + text
        rows = ((Button(self._t(ctx, "visit.btn_save"), P + "save"), Button(self._t(ctx, "visit.btn_edit"), P + "edit")),
                (Button(self._t(ctx, "visit.btn_cancel"), P + "cancel"),))
        return Reply(text, rows)

    def _problem(self, ctx: Ctx, problem: Problem, example: bool = False) -> Reply:
        text = self._t(ctx, problem.key, **problem.values)
        return Reply(text + ("\n\n" + self._t(ctx, "visit.quick_example") if example else ""))

    def _line(self, ctx: Ctx, number: int, visit: Visit) -> str:
        d = visit.data
        return self._t(ctx, "visit.line", n=number, label=d.label, residents=d.residents,
                       smartphones=d.smartphones, had_app=d.had_app, installed=d.installed)

    # --- buttons --------------------------------------------------------------------------------------------

    def on_payload(self, ctx: Ctx, payload: str) -> list[Reply] | None:
        """Form buttons; None for a stale or forged one."""
        action, _, rest = payload[len(P):].partition(":")
        simple = {"new": lambda: self.cmd_log(ctx, ""), "editlast": lambda: self.cmd_edit_last(ctx, ""),
                  "undolast": lambda: self.cmd_undo(ctx, ""), "cancel": lambda: self.cmd_cancel(ctx, ""),
                  "today": lambda: self.cmd_today(ctx, ""), "keep": lambda: [Reply(self._t(ctx, "visit.kept"))]}
        if action in simple and not rest:
            return simple[action]()
        if action == "undo" and rest.isdigit():
            return self._undo(ctx, int(rest))
        if ctx.user.state != State.VISIT_FORM:
            return None
        step = self._step(ctx)
        if action == "n":
            field, _, number = rest.partition(":")
            return self._answer(ctx, field, number) if field == step and number.isdigit() else None
        if action == "skip" and rest == step and step in ("note", "location"):
            self._values(ctx)[step] = ""
            return self._advance(ctx)
        if step != "confirm":
            return None
        if action == "save" and not rest:
            return self._save(ctx)
        if action == "edit" and not rest:
            rows = tuple((Button(self._t(ctx, f"visit.field_{f}"), f"{P}f:{f}"),) for f in STEPS[:-1])
            return [Reply(self._t(ctx, "visit.pick_field"), rows)]
        if action == "f" and rest in STEPS[:-1]:
            ctx.user.data.update(step=rest, back_to_summary=True)
            return [self._ask(ctx)]
        return None

    def _save(self, ctx: Ctx) -> list[Reply]:
        village = self._village(ctx)
        if village is None:   # removed from the team while filling in
            ctx.user.reset()
            return self._not_member(ctx)
        data = self._input(self._values(ctx))
        problem = check(data)
        if problem is not None:
            return [self._problem(ctx, problem), self._summary(ctx)]
        chain = self.store.ancestors(village.id)
        commune_id, district_id = chain[-2].id, chain[-3].id
        replaces = ctx.user.data.get("replaces")   # set by /sua from the user's own last visit, server-side
        visit, new = self.store.save_visit(ctx.user.key, village, commune_id, district_id, data, self.clock(),
                                           replaces=replaces)
        ctx.user.reset()
        count = len(self.store.visits_by(ctx.user.key, self.clock().date().isoformat()))
        text = self._t(ctx, "visit.saved_new" if new else "visit.saved_update", label=data.label,
                       today=self.i18n.number(ctx.lang, count))
        rows = ((Button(self._t(ctx, "visit.btn_new"), P + "new"), Button(self._t(ctx, "visit.btn_today"), P + "today")),)
        return [Reply(text, rows)]

    def _undo(self, ctx: Ctx, visit_id: int) -> list[Reply] | None:
        last = self.store.last_visit(ctx.user.key)
        if last is None or last.id != visit_id:   # only one's own latest visit, and only once
            return None
        self.store.undo_visit(visit_id)
        return [Reply(self._t(ctx, "visit.undone", label=last.data.label))]
