"""The salon's team: who may log in, and the one-time invitations that bring a receptionist or a stylist in.

All SQL for invitations, and for users as members of a team. An invitation's email goes through the
notification queue, written in the same transaction as the invitation: it goes out once, with retries.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from dataclasses import dataclass

import psycopg2.errors

from booking import fields, links, passwords, paths, users
from booking.errors import Conflict, Invalid, NotFound
from booking.models import Role, Salon, User
from booking.notice_types import N_, TEAM_INVITE
from db import Database, Row
from db.rows import reader
from jobqueue import queue

INVITATION_DAYS = 7


@dataclass(frozen=True)
class Member:
    id: uuid.UUID
    email: str
    role: Role
    created_at: dt.datetime
    staff_id: uuid.UUID | None = None  # a stylist's staff member


@dataclass(frozen=True)
class Invitation:
    id: uuid.UUID
    email: str
    created_at: dt.datetime
    expires_at: dt.datetime
    accepted_at: dt.datetime | None
    role: Role = Role.RECEPTIONIST
    staff_id: uuid.UUID | None = None  # whom an invited stylist will be


INVITED_ROLES = (Role.RECEPTIONIST, Role.STYLIST)  # the owner is made with the salon, never invited


@dataclass(frozen=True)
class Team:
    members: tuple[Member, ...]
    invitations: tuple[Invitation, ...]  # not yet accepted, not lapsed


read_member = reader(Member)
read_invitation = reader(Invitation)


def _token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def of_salon(db: Database, salon_id: uuid.UUID) -> Team:
    members = await db.fetch_all(
        """SELECT id, email, role, created_at, staff_id FROM users WHERE salon_id = %s
            ORDER BY role = 'owner' DESC, email""",
        (salon_id,),
    )
    waiting = await db.fetch_all(
        """SELECT id, email, created_at, expires_at, accepted_at, role, staff_id FROM invitations
            WHERE salon_id = %s AND accepted_at IS NULL AND expires_at > now() ORDER BY created_at DESC""",
        (salon_id,),
    )
    return Team(tuple(read_member(row) for row in members), tuple(read_invitation(row) for row in waiting))


def invited_role(role: str | None, staff_id: uuid.UUID | None) -> Role:
    """The role an invitation may give (a receptionist unless said), and a stylist's staff member required."""
    if role is not None and role not in INVITED_ROLES:
        raise Invalid("{field} must be receptionist or stylist", "role")
    chosen = Role(role or Role.RECEPTIONIST)
    if chosen == Role.STYLIST and staff_id is None:
        raise Invalid("{field} is required for a stylist: which staff member they are", "staff_id")
    if chosen != Role.STYLIST and staff_id is not None:
        raise Invalid("{field} is for a stylist only", "staff_id")
    return chosen


async def invite(
    db: Database,
    salon: Salon,
    inviter: User | None,
    email: str,
    public_url: str,
    *,
    role: str | None = None,
    staff_id: uuid.UUID | None = None,
) -> Invitation:
    """Invites ``email`` as a receptionist, or as the stylist ``staff_id``: the invitation, and the email that
    carries its link, in one go. ``inviter`` None: the salon itself (an API token of no one).

    Whether the address has an account in another salon changes nothing here (the owner must not learn it):
    the invitation goes, and only its holder is told, on accepting, that the address is taken.
    """
    address = fields.email(email, "email")
    if address is None:
        raise Invalid("{field} is required", "email")
    chosen = invited_role(role, staff_id)
    token = secrets.token_urlsafe(32)
    async with db.transaction() as cur:
        await cur.execute(
            "SELECT 1 AS member FROM users WHERE lower(email) = lower(%s) AND salon_id = %s", (address, salon.id)
        )
        if await cur.fetchone():
            raise Conflict("{email} is already in your team", "email", email=address)
        await cur.execute("SELECT 1 AS taken FROM users WHERE staff_id = %s AND salon_id = %s", (staff_id, salon.id))
        if await cur.fetchone():
            raise Conflict("this stylist can log in already", "staff_id")
        try:
            await cur.execute(
                """INSERT INTO invitations (salon_id, email, token_hash, invited_by, expires_at, role, staff_id)
                   VALUES (%s, %s, %s, %s, now() + %s * interval '1 day', %s, %s)
                RETURNING id, email, created_at, expires_at, accepted_at, role, staff_id""",
                (salon.id, address, _token_hash(token), inviter and inviter.id, INVITATION_DAYS, chosen, staff_id),
            )
        except psycopg2.errors.ForeignKeyViolation:  # another salon's staff member, or none
            raise NotFound("no such staff member", "staff_id") from None
        row: Row = await cur.fetchone()
        link = links.absolute(public_url, paths.INVITATION(token=token))
        notice = queue.NewJob(
            TEAM_INVITE.name,
            ("email",),
            dt.datetime.now(dt.UTC),
            {
                "email": address,
                "invited_by": inviter.email if inviter else salon.name,
                "role": chosen,
                "invitation": str(row["id"]),  # withdrawn, its email is not sent (withdraw)
                queue.ONE_TIME: {"link": link},
            },
        )
        await queue.enqueue(cur, salon_id=salon.id, client_id=None, appointment_id=None, jobs=[notice])
    return read_invitation(row)


async def invited(db: Database, token: str) -> tuple[Invitation, str]:
    """The live invitation of a link, and its salon's name; NotFound for a used, lapsed or made-up one."""
    row = await db.fetch_one(
        """SELECT i.id, i.email, i.created_at, i.expires_at, i.accepted_at, i.role, i.staff_id, s.name AS salon_name
             FROM invitations i JOIN salons s ON s.id = i.salon_id
            WHERE i.token_hash = %s AND i.accepted_at IS NULL AND i.expires_at > now()""",
        (_token_hash(token),),
    )
    if row is None:
        raise NotFound("this invitation has been used, has lapsed, or never was")
    salon_name = row.pop("salon_name")
    return read_invitation(row), salon_name


async def accept(db: Database, token: str, password: str) -> User:
    """Makes the invited receptionist's or stylist's account with ``password``; the link works no more."""
    users.check_password(password)
    password_hash = await passwords.hash_password(password)
    try:
        async with db.transaction() as cur:
            await cur.execute(
                """UPDATE invitations SET accepted_at = now()
                    WHERE token_hash = %s AND accepted_at IS NULL AND expires_at > now()
                RETURNING salon_id, email, role, staff_id""",
                (_token_hash(token),),
            )
            invitation: Row | None = await cur.fetchone()
            if invitation is None:
                raise NotFound("this invitation has been used, has lapsed, or never was")
            return await users.add(
                cur,
                invitation["salon_id"],
                invitation["email"],
                password_hash,
                Role(invitation["role"]),
                staff_id=invitation["staff_id"],
            )
    except Conflict as taken:
        if taken.field == ("staff_id",):
            raise Conflict("this stylist can log in already: ask the salon's owner") from None
        raise Conflict(
            "this email already has a Salonbook account (here or at another salon): log in with it, or ask "
            "for an invitation to another address"
        ) from None


async def remove(db: Database, salon_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """Removes a receptionist or a stylist: their account and every login of theirs end at once. The owner stays."""
    removed = await db.execute(
        "DELETE FROM users WHERE id = %s AND salon_id = %s AND role <> 'owner'", (user_id, salon_id)
    )
    if not removed:
        raise NotFound("no such receptionist in this salon", "user_id")


async def withdraw(db: Database, salon_id: uuid.UUID, invitation_id: uuid.UUID) -> None:
    """Takes back an invitation not yet accepted: its link stops working, and its email, if not sent yet, is not."""
    async with db.transaction() as cur:
        await cur.execute(
            "DELETE FROM invitations WHERE id = %s AND salon_id = %s AND accepted_at IS NULL", (invitation_id, salon_id)
        )
        if not cur.rowcount:
            raise NotFound("no such invitation", "invitation_id")
        await queue.cancel_about(
            cur, salon_id, TEAM_INVITE.name, "invitation", str(invitation_id), N_("the invitation was withdrawn")
        )
