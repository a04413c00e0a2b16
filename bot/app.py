"""Building the bot: storage, live content, the campaign's features and the engine, wired together.

Modules the chat features need (aiohttp for the dashboard, openpyxl for reports…) are imported only when the
features are built, so `bot.py ask` stays quick."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.config import Settings
from bot.content.loader import Content
from bot.core.engine import Engine, Thresholds
from bot.curation.live import ContentManager
from bot.i18n import I18n
from bot.matching.cache import ModelCache
from bot.storage.admin_store import AdminStore
from bot.storage.database import Storage


@dataclass
class App:
    """Everything one run of the bot is made of, built once and passed down."""

    content: Content
    storage: Storage
    admin_store: AdminStore
    manager: ContentManager
    engine: Engine
    store: Any = None          # CampaignStore
    teams: Any = None          # Teams
    broadcasts: Any = None     # Broadcasts
    agency_store: Any = None   # AgencyStore
    agencies: Any = None       # Agencies
    dashboard: Any = None      # Dashboard


def build_app(settings: Settings, i18n: I18n, campaign: bool = True) -> App:
    """The bot; with campaign=False only what answers citizens' questions (for `ask`)."""
    storage = Storage.open(settings.db_path)
    admin_store = AdminStore(storage)
    manager = ContentManager(settings.content_dir, settings.intents_dir, admin_store)
    content = manager.current
    i18n.defaults["app"] = content.pack.app_name
    thresholds = Thresholds(settings.answer_threshold, settings.suggest_threshold)
    if not campaign:
        engine = Engine(content, i18n, storage, thresholds, cache=ModelCache(settings.cache_dir))
        manager.subscribe(engine.load)
        return App(content, storage, admin_store, manager, engine)
    return _build_campaign(settings, i18n, storage, admin_store, manager, thresholds)


def _build_campaign(settings: Settings, i18n: I18n, storage: Storage, admin_store: AdminStore,
                    manager: ContentManager, thresholds: Thresholds) -> App:
    from bot.agencies.chat import Agencies
    from bot.broadcasts.broadcast import Broadcasts
    from bot.campaign.areas import seed_province
    from bot.campaign.teams import Teams
    from bot.campaign.visits import Visits
    from bot.clock import vietnam_now
    from bot.curation.faq_admin import FaqAdmin
    from bot.curation.learning import Learning
    from bot.dashboard.auth import DashboardCommand
    from bot.dashboard.pages import build_dashboard
    from bot.reports.chat import Reports
    from bot.reports.service import ReportService
    from bot.storage.agency_store import AgencyStore
    from bot.storage.broadcast_store import BroadcastStore
    from bot.storage.campaign_store import CampaignStore

    store = CampaignStore(storage)
    seed_province(store, settings.areas_file)
    for user_key in settings.admins:
        store.add_admin(user_key, None, "config")
    teams = Teams(store, i18n, vietnam_now, settings.invite_days, settings.telegram_username)
    faq_admin = FaqAdmin(manager, admin_store, store, i18n)
    learning = Learning(manager, admin_store, store, i18n, vietnam_now, suggest=lambda text: [])
    broadcasts = Broadcasts(BroadcastStore(storage), admin_store, store, i18n)
    reports = Reports(store, ReportService(store), i18n, vietnam_now, settings.export_dir)
    agency_store = AgencyStore(storage)
    agencies = Agencies(agency_store, store, i18n, vietnam_now, settings.invite_days, settings.telegram_username,
                        team_join=teams.cmd_join)   # after teams: it answers /thamgia for unit codes (DV…)
    dashboard = build_dashboard(storage, store, admin_store, i18n, settings, content=manager, agencies=agency_store)
    features = (teams, Visits(store, i18n, vietnam_now), reports, faq_admin, learning, broadcasts, agencies,
                DashboardCommand(dashboard.auth, i18n, settings.public_url))
    engine = Engine(manager.current, i18n, storage, thresholds, features, cache=ModelCache(settings.cache_dir))
    manager.subscribe(engine.load)
    faq_admin.language_of = engine.language_of
    learning.suggest = engine.suggest_entries
    return App(manager.current, storage, admin_store, manager, engine, store, teams, broadcasts, agency_store,
               agencies, dashboard)


def background_jobs(app: App, settings: Settings, i18n: I18n, senders: dict, worker: Any) -> list:
    """What runs beside a live bot: broadcast delivery over the channels that are up, content watching
    (changed files or `faq reload` are picked up within seconds, on the engine's own thread), and the weekly
    reminders to agencies that have not reported."""
    import asyncio

    from bot.agencies.reminders import remind_late_units
    from bot.broadcasts.broadcast import Broadcaster
    from bot.clock import vietnam_now
    from bot.curation.watcher import watch_content

    broadcaster = Broadcaster(app.broadcasts.bstore, senders, i18n, settings.default_locale)
    app.broadcasts.wake = broadcaster.wake

    def run_in_engine(function):   # noqa: ANN001, ANN202
        return asyncio.get_running_loop().run_in_executor(worker.executor, function)

    reminders = remind_late_units(app.agency_store, senders, i18n, vietnam_now, settings.reminder_weekday)
    return [broadcaster.run(), watch_content(app.manager, app.admin_store, run_in_engine), reminders]
