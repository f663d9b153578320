"""Client search: any part of the name or email, any digits of the phone; the same function for API and pages."""

from __future__ import annotations

import pytest

from booking import client_data, clients
from booking.errors import Invalid
from booking.models import ClientDetails

US_CLIENT = ClientDetails("Maria", "de la Cruz", "Maria.Cruz@Example.com", "(207) 555-0188", True)


async def names(db, salon_id, search: str, region: str = "US", **paging) -> list[str]:
    return [client.name for client in await clients.list_clients(db, salon_id, search, region=region, **paging)]


async def test_any_part_of_the_name_or_email_finds_a_client_in_any_case(db, make_salon) -> None:
    salon = (await make_salon()).salon
    await clients.create_client(db, salon.id, US_CLIENT, region="US")
    await clients.create_client(db, salon.id, ClientDetails("Ann", "Example", "ann@example.org"))
    for search in ("maria", "RIA DE", "de la cruz", "a.cruz@ex", "  maria   de  "):
        assert await names(db, salon.id, search) == ["Maria de la Cruz"], search
    assert await names(db, salon.id, "example") == ["Ann Example", "Maria de la Cruz"], "name or email, by name"
    assert await names(db, salon.id, "nobody") == []
    assert await names(db, salon.id, "") == ["Ann Example", "Maria de la Cruz"], "no search: everyone"


async def test_any_digits_of_the_phone_find_it_however_they_are_written(db, make_salon) -> None:
    salon = (await make_salon()).salon
    maria = await clients.create_client(db, salon.id, US_CLIENT, region="US")
    assert maria.phone == "+12075550188"
    for search in ("555-0188", "0188", "(207) 555-0188", "+1 207 555 0188", "2075550188", "207.555"):
        assert await names(db, salon.id, search) == ["Maria de la Cruz"], search
    for search in ("555-0189", "0188x", "1888"):
        assert await names(db, salon.id, search) == [], search
    gb = await clients.create_client(db, salon.id, ClientDetails("Gil", "Bee", phone="07400 900123"), region="GB")
    assert gb.phone == "+447400900123"
    assert await names(db, salon.id, "07400 900123", region="GB") == ["Gil Bee"], "the national way, trunk 0 and all"
    assert await names(db, salon.id, "900 123", region="GB") == ["Gil Bee"]


async def test_like_wildcards_are_plain_characters(db, make_salon) -> None:
    salon = (await make_salon()).salon
    await clients.create_client(db, salon.id, ClientDetails("Per_cent", "100%"))
    await clients.create_client(db, salon.id, ClientDetails("Percy", "Plain"))
    assert await names(db, salon.id, "%") == ["Per_cent 100%"]
    assert await names(db, salon.id, "r_c") == ["Per_cent 100%"]
    assert await names(db, salon.id, "\\") == []


async def test_search_pages_leaves_out_erased_clients_and_other_salons(db, make_salon) -> None:
    salon, other = (await make_salon()).salon, (await make_salon()).salon
    made = [await clients.create_client(db, salon.id, ClientDetails(f"Ann {n}", "Lee")) for n in range(5)]
    await clients.create_client(db, other.id, ClientDetails("Ann", "Elsewhere"))
    async with db.transaction() as cur:
        await clients.erase(cur, salon.id, made[4].id)
    first = await clients.list_clients(db, salon.id, "ann", limit=2)
    assert [c.name for c in first] == ["Ann 0 Lee", "Ann 1 Lee"]
    rest = await names(db, salon.id, "ann", after=first[-1].id)
    assert rest == ["Ann 2 Lee", "Ann 3 Lee"], "erased clients are not found; another salon's never"
    with pytest.raises(Invalid) as refused:
        await clients.list_clients(db, salon.id, "x" * 101)
    assert refused.value.field == ("q",)
    assert client_data  # the erase above is the data-request path's


async def test_a_search_among_tens_of_thousands_of_clients_uses_the_trigram_indexes(db, make_salon) -> None:
    salon = (await make_salon()).salon
    await db.execute(
        """INSERT INTO clients (salon_id, first_name, last_name, email, phone)
           SELECT %s, 'Client', lpad(n::text, 5, '0'), 'c' || n || '@example.com', '+1207555' || lpad(n::text, 4, '0')
             FROM generate_series(1, 30000) n""",
        (salon.id,),
    )
    await clients.create_client(db, salon.id, US_CLIENT, region="US")
    await db.execute("VACUUM ANALYZE clients")  # as autovacuum would: the GIN indexes' pending entries merged
    for search, indexes in {
        "cruz": ("clients_name_trgm", "clients_email_trgm"),
        "555-0188": ("clients_name_trgm", "clients_email_trgm", "clients_phone_trgm"),
    }.items():
        parameters = clients.list_parameters(salon.id, search, region="US", after=None, limit=21)
        rows = await db.fetch_all("EXPLAIN " + clients.LIST_CLIENTS, parameters)
        plan = "\n".join(row["QUERY PLAN"] for row in rows)
        for index in indexes:
            assert f"Bitmap Index Scan on {index}" in plan, f"{search!r} does not use {index}:\n{plan}"
        assert "Seq Scan on clients" not in plan, plan  # (the few opted-out numbers may be read whole)
    assert await names(db, salon.id, "cruz") == ["Maria de la Cruz"]
    assert await names(db, salon.id, "555-0188") == ["Client 00188", "Maria de la Cruz"]
