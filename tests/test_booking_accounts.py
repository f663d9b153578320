from booking import accounts
from db import Database


async def test_create_salon_gives_a_working_api_token(db: Database, make_salon) -> None:
    new = await make_salon(timezone="America/New_York")
    salon = await accounts.salon_for_token(db, new.api_token)
    assert salon == new.salon
    assert await accounts.salon_for_token(db, new.api_token + "x") is None


async def test_owner_can_log_in_with_the_password_only(db: Database, make_salon) -> None:
    new = await make_salon()
    user = await accounts.authenticate(db, new.owner.email.upper(), "correct horse battery")
    assert user == new.owner
    assert await accounts.authenticate(db, new.owner.email, "wrong password") is None
