import asyncio

from booking import api_tokens, salons, users
from booking.errors import Conflict
from db import Database


async def test_create_salon_gives_a_working_api_token(db: Database, make_salon) -> None:
    new = await make_salon(timezone="America/New_York")
    salon = await api_tokens.salon_for_token(db, new.api_token)
    assert salon == new.salon
    assert await api_tokens.salon_for_token(db, new.api_token + "x") is None


async def test_owner_can_log_in_with_the_password_only(db: Database, make_salon) -> None:
    new = await make_salon()
    user = await users.authenticate(db, new.owner.email.upper(), "correct horse battery")
    assert user == new.owner
    assert await users.authenticate(db, new.owner.email, "wrong password") is None


async def test_only_one_of_two_simultaneous_first_setups_wins(db: Database) -> None:
    async def setup(tag: str):
        try:
            return await salons.create_salon(
                db,
                name=f"Salon {tag}",
                timezone="UTC",
                owner_email=f"{tag}@example.com",
                owner_password="long enough",
                only_if_first=True,
            )
        except Conflict as refused:
            return refused

    await db.execute("DELETE FROM salons")  # this module's database: first run again
    results = await asyncio.gather(setup("a"), setup("b"))
    assert sorted(type(result).__name__ for result in results) == ["Conflict", "NewSalon"]
    assert (await db.fetch_one("SELECT count(*) AS n FROM salons"))["n"] == 1


async def test_salons_of_one_name_get_their_own_slugs(db: Database, make_salon) -> None:
    first, second = await asyncio.gather(make_salon(name="Hair Today"), make_salon(name="Hair Today"))
    slugs = {first.salon.slug, second.salon.slug}
    assert len(slugs) == 2
    assert "hair-today" in slugs
