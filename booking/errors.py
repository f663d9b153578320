"""One error type per outcome; handlers map each to a status code in one place."""


class BookingError(Exception):
    """Base of every domain error; ``message`` is for a person to read."""

    code = "error"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class Invalid(BookingError):
    """Input breaks a rule; ``field`` names the culprit."""

    code = "invalid"


class NotFound(BookingError):
    """No such thing in this salon (another salon's ids are not found either)."""

    code = "not_found"


class SlotTaken(BookingError):
    """The staff member is already booked for part of that time."""

    code = "slot_taken"


class Conflict(BookingError):
    """The thing exists but is in a state that forbids the change."""

    code = "conflict"
