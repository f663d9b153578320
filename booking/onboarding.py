"""How far a new salon has got: the three steps before the day view is of any use."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from db import Database
from db.rows import reader


@dataclass(frozen=True)
class Progress:
    staff_with_hours: bool  # someone can be booked
    services: bool  # something can be booked
    booked: bool  # the first appointment exists

    @property
    def done(self) -> bool:
        return self.staff_with_hours and self.services and self.booked


read_progress = reader(Progress)


async def progress(db: Database, salon_id: uuid.UUID) -> Progress:
    """One read of three EXISTS: cheap enough for every day view."""
    row = await db.fetch_row(
        """SELECT EXISTS (SELECT FROM staff s JOIN working_hours h ON h.staff_id = s.id
                           WHERE s.salon_id = %(salon)s) AS staff_with_hours,
                  EXISTS (SELECT FROM services WHERE salon_id = %(salon)s) AS services,
                  EXISTS (SELECT FROM appointments WHERE salon_id = %(salon)s) AS booked""",
        {"salon": salon_id},
    )
    return read_progress(row)
