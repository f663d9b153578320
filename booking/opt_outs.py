"""Numbers that said STOP: all SQL for sms_opt_outs.

One row per number for the whole installation: every salon texts from the one sender number, and a
carrier that heard STOP blocks that sender for the number whichever salon sends. Clients with the
number show ``sms_opt_out``, new notices for them go by email only, and the SMS channels look here just
before each text, so a STOP is honoured from the moment it commits.
"""

from __future__ import annotations

import datetime as dt

import aiopg

from booking import reasons
from db import Database, Row
from jobqueue import queue

Reader = Database | aiopg.Cursor


async def since(reader: Reader, phone: str) -> dt.datetime | None:
    """When the number opted out of texts, or None while it may be texted."""
    sql, params = "SELECT opted_out_at FROM sms_opt_outs WHERE phone = %s", (phone,)
    if isinstance(reader, Database):
        row = await reader.fetch_one(sql, params)
    else:
        await reader.execute(sql, params)
        row = await reader.fetchone()
    return row["opted_out_at"] if row else None


async def opt_out(cur: aiopg.Cursor, phone: str, reason: str) -> None:
    """No more texts to ``phone``: its live text-only notifications are cancelled (notices that also go by
    email keep going; their text is skipped when its turn comes). The first opt-out's time and reason stay."""
    await cur.execute(
        """INSERT INTO sms_opt_outs (phone, reason) VALUES (%s, %s) ON CONFLICT (phone) DO NOTHING;
           SELECT id FROM clients WHERE phone = %s""",
        (phone, reason, phone),
    )
    clients: list[Row] = await cur.fetchall()
    await queue.cancel_by_channel(
        cur,
        "sms",
        [row["id"] for row in clients],
        {"phone": phone},
        reasons.said(reasons.OPTED_OUT, phone=phone, reason=reason),
    )


async def opt_in(cur: aiopg.Cursor, phone: str) -> None:
    """Texts to ``phone`` again (it texted START): notices made from now on go by text too."""
    await cur.execute("DELETE FROM sms_opt_outs WHERE phone = %s", (phone,))
