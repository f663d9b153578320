"""The team through the API, the owner's alone: who may log in, and invitations for a receptionist or a stylist."""

from __future__ import annotations

from booking import access, team
from handlers.api import ApiHandler


class TeamApi(ApiHandler):
    roles = access.OWNER

    async def get(self) -> None:
        self.write_json(await team.of_salon(self.db, self.salon.id))


class InvitationsApi(ApiHandler):
    roles = access.OWNER

    async def post(self) -> None:
        """The same answer whether or not the address has an account elsewhere (booking.team.invite)."""
        body = self.body()
        invitation = await team.invite(
            self.db,
            self.salon,
            self.bearer.maker,
            body.text("email", required=True),
            self.application.web_settings.public_url,
            role=body.text("role"),
            staff_id=body.id("staff_id"),
        )
        self.wake_worker()
        self.write_json(invitation, status=201)
