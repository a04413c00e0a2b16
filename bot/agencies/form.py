"""A unit's focal person reports from the chat: the guided form, the one-line quick form, Save / Edit / Cancel."""
from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import date, timedelta

from bot.agencies.rules import (
    NUMBER_FIELDS,
    check,
    check_field,
    parse_date,
    parse_number,
    parse_quick,
)
from bot.campaign.visit_rules import Problem
from bot.clock import Clock
from bot.core.features import Ctx
from bot.core.messages import Button, Reply
from bot.core.state import State
from bot.i18n import I18n
from bot.storage.agency_store import AgencyStore, ReportInput, Unit
from bot.storage.campaign_store import name_key

log = logging.getLogger(__name__)

P = "ag:"
STEPS = ("as_of",) + NUMBER_FIELDS + ("confirm",)
SKIP_WORDS = {"bo qua", "skip", "khong", "ko", "k", "khong co", "-"}
CANCEL_WORDS = {"huy", "cancel", "thoi"}


def day_text(value: date) -> str:
    """dd/mm/yyyy: how the province writes dates, in both languages."""
    return value.strftime("%d/%m/%Y")


class ReportForm:
    """The report form: its state lives in the user's state (AGENCY_FORM), its unit is checked on saving."""

    def __init__(self, store: AgencyStore, i18n: I18n, clock: Clock) -> None:
        self.store, self.i18n, self.clock = store, i18n, clock

    def _t(self, ctx: Ctx, key: str, **values: object) -> str:
        return self.i18n.t(ctx.lang, key, **values)

    def _today(self) -> date:
        return self.clock().date()

    def not_focal(self, ctx: Ctx) -> list[Reply]:
        """The form is for focal persons only."""
        log.info("agency report refused: not a focal person (channel=%s)", ctx.msg.channel)
        return [Reply(self._t(ctx, "agency.not_focal"))]

    def start(self, ctx: Ctx, argument: str) -> list[Reply]:
        """/baocaodonvi opens the form; /baocaodonvi 120 100 80 [150] [dd/mm] goes straight to the summary."""
        unit = self.store.focal_unit(ctx.user.key)
        if unit is None:
            return self.not_focal(ctx)
        if argument:
            parsed = parse_quick(argument, self._today())
            if isinstance(parsed, Problem):
                example = self._t(ctx, "agency.quick_example")
                return [Reply(self._t(ctx, parsed.key, **parsed.values) + "\n\n" + example)]
            self._open(ctx, unit, asdict(parsed), "confirm")
            return [self._summary(ctx)]
        self._open(ctx, unit, {}, "as_of")
        return [self._ask(ctx)]

    def _open(self, ctx: Ctx, unit: Unit, values: dict, step: str) -> None:
        ctx.user.state = State.AGENCY_FORM
        ctx.user.data = {"step": step, "values": values, "unit_id": unit.id, "unit": unit.name}

    def _values(self, ctx: Ctx) -> dict:
        return ctx.user.data.setdefault("values", {})

    def _step(self, ctx: Ctx) -> str:
        step = ctx.user.data.get("step", "as_of")
        return step if step in STEPS else "as_of"

    def cancel(self, ctx: Ctx) -> list[Reply]:
        """Drop the form; nothing is saved."""
        ctx.user.reset()
        return [Reply(self._t(ctx, "agency.cancelled"))]

    # --- questions and answers ------------------------------------------------------------------------------

    def _ask(self, ctx: Ctx, problem: Problem | None = None) -> Reply:
        step = self._step(ctx)
        text = self._t(ctx, f"agency.ask_{step}", unit=ctx.user.data.get("unit", ""),
                       staff=self.i18n.number(ctx.lang, self._values(ctx).get("staff", 0)),
                       phones=self.i18n.number(ctx.lang, self._values(ctx).get("staff_smartphones", 0)))
        if problem is not None:
            text = self._t(ctx, problem.key, **problem.values) + "\n\n" + text
        rows: list[tuple[Button, ...]] = []
        if step == "as_of":
            today = self._today()
            rows.append((Button(self._t(ctx, "agency.btn_today", day=today.strftime("%d/%m")), P + "d:0"),
                         Button(self._t(ctx, "agency.btn_yesterday"), P + "d:1")))
        if step == "family_installed":
            rows.append((Button(self._t(ctx, "agency.btn_skip"), P + "skip"),))
        rows.append((Button(self._t(ctx, "agency.btn_cancel"), P + "cancel"),))
        return Reply(text, tuple(rows))

    def on_message(self, ctx: Ctx) -> list[Reply]:
        """A typed answer for the current step."""
        step, text = self._step(ctx), ctx.msg.text.strip()
        key = name_key(text)
        if key in CANCEL_WORDS:
            return self.cancel(ctx)
        if step == "confirm":
            return [self._summary(ctx, hint=True)]
        if step == "family_installed" and (key in SKIP_WORDS or text in SKIP_WORDS):
            return self._answer(ctx, step, None)
        if step == "as_of":
            parsed = parse_date(text, self._today())
            if isinstance(parsed, Problem):
                return [self._ask(ctx, parsed)]
            return self._answer(ctx, step, parsed.isoformat())
        count = parse_number(text)
        if not isinstance(count, Problem):
            count = check_field(step, count, self._values(ctx)) or count
        return [self._ask(ctx, count)] if isinstance(count, Problem) else self._answer(ctx, step, count)

    def _answer(self, ctx: Ctx, step: str, value: object) -> list[Reply]:
        values = self._values(ctx)
        values[step] = value
        if step in NUMBER_FIELDS:   # a smaller number may invalidate the ones after it: ask them again
            for later in NUMBER_FIELDS[NUMBER_FIELDS.index(step) + 1:]:
                if values.get(later) is not None and check_field(later, values[later], values):
                    values.pop(later)
                    ctx.user.data.pop("back_to_summary", None)
        if ctx.user.data.pop("back_to_summary", False) and check(self._input(values), self._today()) is None:
            ctx.user.data["step"] = "confirm"
            return [self._summary(ctx)]
        following = STEPS[STEPS.index(step) + 1:]
        ctx.user.data["step"] = next((s for s in following if s not in values), "confirm")
        return [self._summary(ctx) if ctx.user.data["step"] == "confirm" else self._ask(ctx)]

    def _input(self, values: dict) -> ReportInput:
        return ReportInput(values.get("as_of") or self._today().isoformat(), values.get("staff", 0),
                           values.get("staff_smartphones", 0), values.get("staff_installed", 0),
                           values.get("family_installed"))

    def _summary(self, ctx: Ctx, hint: bool = False) -> Reply:
        data = self._input(self._values(ctx))
        n = lambda v: "–" if v is None else self.i18n.number(ctx.lang, v)  # noqa: E731
        rate = self.i18n.percent(ctx.lang, data.staff_installed / data.staff_smartphones) \
            if data.staff_smartphones else "–"
        text = self._t(ctx, "agency.summary", unit=ctx.user.data.get("unit", ""),
                       day=day_text(date.fromisoformat(data.as_of)), staff=n(data.staff),
                       phones=n(data.staff_smartphones), installed=n(data.staff_installed), rate=rate,
                       family=n(data.family_installed))
        unit_id = ctx.user.data.get("unit_id")
        if isinstance(unit_id, int) and self.store.report_on(unit_id, data.as_of) is not None:
            text += "\n\n" + self._t(ctx, "agency.will_replace")
        if hint:
            text = self._t(ctx, "agency.use_buttons") + "\n\n" + text
        rows = ((Button(self._t(ctx, "agency.btn_save"), P + "save"),
                 Button(self._t(ctx, "agency.btn_edit"), P + "edit")),
                (Button(self._t(ctx, "agency.btn_cancel"), P + "cancel"),))
        return Reply(text, rows)

    # --- buttons --------------------------------------------------------------------------------------------

    def on_payload(self, ctx: Ctx, action: str, rest: str) -> list[Reply] | None:
        """Form buttons; None for a stale or forged one."""
        if action == "new" and not rest:
            return self.start(ctx, "")
        if ctx.user.state != State.AGENCY_FORM:
            return None
        if action == "cancel" and not rest:
            return self.cancel(ctx)
        step = self._step(ctx)
        if action == "d" and rest in ("0", "1") and step == "as_of":
            return self._answer(ctx, step, (self._today() - timedelta(days=int(rest))).isoformat())
        if action == "skip" and not rest and step == "family_installed":
            return self._answer(ctx, step, None)
        if step != "confirm":
            return None
        if action == "save" and not rest:
            return self._save(ctx)
        if action == "edit" and not rest:
            rows = tuple((Button(self._t(ctx, f"agency.field_{f}"), f"{P}f:{f}"),) for f in STEPS[:-1])
            return [Reply(self._t(ctx, "agency.pick_field"), rows)]
        if action == "f" and rest in STEPS[:-1]:
            ctx.user.data.update(step=rest, back_to_summary=True)
            return [self._ask(ctx)]
        return None

    def _save(self, ctx: Ctx) -> list[Reply]:
        unit = self.store.focal_unit(ctx.user.key)
        if unit is None or unit.id != ctx.user.data.get("unit_id"):   # moved or removed while filling in
            ctx.user.reset()
            return self.not_focal(ctx)
        data = self._input(self._values(ctx))
        problem = check(data, self._today())
        if problem is not None:
            return [Reply(self._t(ctx, problem.key, **problem.values)), self._summary(ctx)]
        _, replaced = self.store.save_report(unit.id, data, ctx.user.key, self.clock().isoformat(timespec="seconds"))
        ctx.user.reset()
        log.info("agency report saved (channel=%s replaced=%s)", ctx.msg.channel, replaced)
        key = "agency.saved_replaced" if replaced else "agency.saved"
        text = self._t(ctx, key, unit=unit.name, day=day_text(date.fromisoformat(data.as_of)))
        return [Reply(text, ((Button(self._t(ctx, "agency.btn_new"), P + "new"),),))]
