"""Helpers for campaign tests: a seeded tree, an engine with the campaign features, a fixed clock."""
from __future__ import annotations

from datetime import datetime

from bot.campaign.areas import import_csv, seed_province
from bot.campaign.teams import Teams
from bot.campaign.visits import Visits
from bot.clock import VIETNAM
from bot.config import ROOT
from bot.content.loader import Content
from bot.core.engine import Engine
from bot.core.features import Feature
from bot.core.messages import Incoming, Location, Reply
from bot.i18n import I18n
from bot.storage.campaign_store import CampaignStore
from bot.storage.database import Storage
from tests.matcher_cache import CACHE, THRESHOLDS


class FixedClock:
    """A clock the test moves by hand."""

    def __init__(self, at: datetime = datetime(2020, 8, 20, 9, 0, tzinfo=VIETNAM)) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def seeded_store(storage: Storage) -> CampaignStore:
    store = CampaignStore(storage)
    seed_province(store, ROOT / "areas" / "quang_ngai.yaml")
    count, problems = import_csv(store, (ROOT / "areas" / "sample_villages.csv").read_text(encoding="utf-8"))
    assert count and not problems
    return store


def campaign_engine(content: Content, i18n: I18n, storage: Storage, clock: FixedClock,
                    extra: tuple[Feature, ...] = ()) -> tuple[Engine, CampaignStore, Teams]:
    store = seeded_store(storage) if storage.db["areas"].count == 0 else CampaignStore(storage)
    i18n.defaults["app"] = content.pack.app_name
    teams = Teams(store, i18n, clock)
    engine = Engine(content, i18n, storage, THRESHOLDS, (teams, Visits(store, i18n, clock)) + extra,
                    cache=CACHE)
    return engine, store, teams


def village(store: CampaignStore, name: str) -> int:
    found = store.find_areas(name, level="village", limit=1)
    assert found, name
    return found[0].id


class Chat:
    """One user talking to the engine."""

    def __init__(self, engine: Engine, user: str, channel: str = "telegram") -> None:
        self.engine, self.user, self.channel = engine, user, channel
        self.last: list[Reply] = []

    def say(self, text: str = "", payload: str = "", location: Location | None = None) -> list[Reply]:
        self.last = self.engine.handle(Incoming(self.channel, self.user, self.user, text=text, payload=payload,
                                                location=location, language_hint="vi"))
        return self.last

    def text(self) -> str:
        return "\n".join(r.text for r in self.last)

    def payloads(self) -> list[str]:
        return [b.payload for r in self.last for b in r.flat_buttons()]

    def press(self, startswith: str) -> list[Reply]:
        payload = next(p for p in self.payloads() if p.startswith(startswith))
        return self.say(payload=payload)
