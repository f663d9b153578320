"""The owner's team page, and the one-time page where an invited receptionist or stylist chooses a password."""

from __future__ import annotations

import asyncio

from booking import fields, paths, staff, team
from booking.errors import BookingError
from booking.models import Role
from handlers.html import Errors, Form, form_errors
from handlers.pages.base import OwnerPage, PageHandler, page_id

INVITE_FIELDS = ("email", "role", "staffId")


class TeamPage(OwnerPage):
    async def get(self) -> None:
        await self.show({"email": "", "role": Role.RECEPTIONIST, "staffId": ""}, {})

    async def post(self) -> None:
        """Invites a receptionist, or a stylist as one staff member: the email goes out through the queue."""
        form = self.read_form(INVITE_FIELDS)
        try:
            stylist = form["role"] == Role.STYLIST
            await team.invite(
                self.db,
                self.salon,
                self.current_user,
                form["email"],
                self.application.web_settings.public_url,
                role=form["role"] or None,
                staff_id=fields.identifier(form["staffId"], "staff_id") if stylist and form["staffId"] else None,
            )
        except BookingError as error:
            await self.show(form, form_errors(error, form, self.gettext), status=400)
            return
        self.wake_worker()
        self.redirect(paths.TEAM(), status=303)

    async def show(self, form: Form, errors: Errors, *, status: int = 200) -> None:
        members, staff_list = await asyncio.gather(
            team.of_salon(self.db, self.salon.id), staff.list_staff(self.db, self.salon.id)
        )
        names = {member.id: member.name for member in staff_list}
        self.render_page(
            "team.html",
            status,
            team=members,
            form=form,
            errors=errors,
            staff_choices=[(str(member.id), member.name) for member in staff_list],
            staff_names=names,
        )


class RemoveMember(OwnerPage):
    async def post(self, user_id: str) -> None:
        await team.remove(self.db, self.salon.id, page_id(user_id))
        self.redirect(paths.TEAM(), status=303)


class WithdrawInvitation(OwnerPage):
    async def post(self, invitation_id: str) -> None:
        await team.withdraw(self.db, self.salon.id, page_id(invitation_id))
        self.redirect(paths.TEAM(), status=303)


class AcceptInvitation(PageHandler):
    """Whoever holds the link chooses a password, once; then they are logged in."""

    token_in_path = True

    async def get(self, token: str) -> None:
        invitation, salon_name = await team.invited(self.db, token)
        self.render_page("invite.html", invitation=invitation, salon_name=salon_name, form={}, errors={})

    async def post(self, token: str) -> None:
        invitation, salon_name = await team.invited(self.db, token)
        form = self.read_form(("password", "repeated"))
        try:
            if form["password"] != form["repeated"]:
                raise BookingError(self.gettext("the two passwords differ"), "repeated")
            user = await team.accept(self.db, token, form["password"])
        except BookingError as error:
            errors = form_errors(error, form, self.gettext)
            self.render_page("invite.html", 400, invitation=invitation, salon_name=salon_name, form={}, errors=errors)
            return
        await self.log_in(user)
        self.redirect(paths.DAY(), status=303)
