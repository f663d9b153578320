"""API helpers shared by the API test modules: a salon's directory made through the API itself."""

from __future__ import annotations

import datetime as dt
from typing import Any

IN_A_WEEK = (dt.datetime.now(dt.UTC) + dt.timedelta(days=7)).replace(hour=10, minute=0, second=0, microsecond=0)


async def set_up_directory(
    api,
    token: str,
    *,
    opted_in: bool = True,
    email: str | None = "ann@example.com",
    phone: str | None = "+44 7400 900123",
) -> dict[str, Any]:
    """A staff member, a service and a client made through the API; their ids as a booking body wants them."""
    status, staff = await api("POST", "/staff", token, {"firstName": "Bea", "lastName": "Stylist"})
    assert status == 201, staff
    status, service = await api("POST", "/services", token, {"name": "Cut", "durationMinutes": 45, "priceCents": 3500})
    assert status == 201, service
    client_body = {"firstName": "Ann", "lastName": "Lee", "optedInReminders": opted_in}
    client_body |= {"email": email} if email else {}
    client_body |= {"phone": phone} if phone else {}
    status, client = await api("POST", "/clients", token, client_body)
    assert status == 201, client
    return {"clientId": client["id"], "staffId": staff["id"], "serviceId": service["id"]}
