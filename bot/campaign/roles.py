"""Who may do what in the campaign: admins (province or one area), village leaders and members."""
from __future__ import annotations

from dataclasses import dataclass

from bot.storage.campaign_store import CampaignStore, Member


@dataclass(frozen=True)
class Role:
    """A user's rights, read from storage on every call (never cached across messages)."""

    user_key: str
    admin: bool
    admin_area: int | None        # None with admin=True: the whole province
    member: Member | None

    @property
    def leader(self) -> bool:
        """Leads their village's team."""
        return self.member is not None and self.member.role == "leader"


def role_of(store: CampaignStore, user_key: str) -> Role:
    """The user's current rights."""
    admin, area = store.admin_scope(user_key)
    return Role(user_key, admin, area, store.member(user_key))


def can_see(store: CampaignStore, role: Role, area_id: int) -> bool:
    """Admins see their area and below; leaders and members see their own village only."""
    if role.admin and store.is_within(area_id, role.admin_area):
        return True
    return role.member is not None and role.member.area_id == area_id


def can_invite(store: CampaignStore, role: Role, village_id: int) -> bool:
    """Admins invite anywhere in their area; leaders invite to their own village."""
    if role.admin and store.is_within(village_id, role.admin_area):
        return True
    return role.leader and role.member is not None and role.member.area_id == village_id
