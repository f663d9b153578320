"""The salon's report over chosen days, as JSON: what the owner's /reports page shows."""

from __future__ import annotations

import datetime as dt
from typing import Any

from booking import access, reports
from booking.errors import Invalid
from booking.reports import Period, Report
from handlers.api import ApiHandler


def report_json(report: Report) -> dict[str, Any]:
    """The report with its days named as they were asked for (``from`` and ``to``, both included)."""
    return {
        "from": report.period.first,
        "to": report.period.last,
        "appointments": report.appointments,
        "revenue_cents": report.revenue_cents,
        "staff": report.staff,
        "messages": report.messages,
        "payments": report.payments,
    }


class ReportsApi(ApiHandler):
    roles = access.OWNER  # the money is the owner's

    async def get(self) -> None:
        period = Period.checked(self._day("from"), self._day("to"))
        self.write_json(report_json(await reports.report(self.db, self.salon, period)))

    def _day(self, name: str) -> dt.date:
        day = self.query_date(name)
        if day is None:
            raise Invalid("{field} is required", name)
        return day
