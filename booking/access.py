"""Who may open what. Every page and API route that needs a login names the roles it admits (one of the sets
here); the handlers' bases refuse the others with a 403 before anything is read. A stylist's own things
(their appointments, their clients, their calendar feed) are checked here too, on each one they ask for.

tests/test_access.py walks the route table and asks every route as every role, so a new route cannot go
without a decision.
"""

from __future__ import annotations

import uuid
from typing import Protocol

from booking.errors import Forbidden
from booking.models import Role

EVERYONE = frozenset(Role)  # the calendar, one's own week, account and appointments
DESK = frozenset({Role.OWNER, Role.RECEPTIONIST})  # the front desk's work: booking, clients, notifications
OWNER = frozenset({Role.OWNER})  # settings, team, tokens, exports
FEEDS = frozenset({Role.OWNER, Role.STYLIST})  # calendar feeds: the owner's for anyone, a stylist's own


class Caller(Protocol):
    """Someone logged in (booking.models.User) or an API token's maker (booking.api_tokens.Bearer)."""

    @property
    def role(self) -> Role: ...
    @property
    def staff_id(self) -> uuid.UUID | None: ...


def admit(user: Caller, roles: frozenset[Role]) -> None:
    """Forbidden unless the user's role is among ``roles``."""
    if user.role not in roles:
        raise Forbidden(
            "only the salon's owner can open this page" if roles == OWNER else f"a {user.role} cannot open this"
        )


def own_staff(user: Caller, staff_id: uuid.UUID) -> None:
    """A stylist acts for their own staff member only; the desk for anyone's."""
    if user.role == Role.STYLIST and user.staff_id != staff_id:
        raise Forbidden("a stylist sees only their own appointments, clients and calendar")
