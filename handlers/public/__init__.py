"""Pages for a salon's clients: no login; the salon's language."""

from typing import Any

from handlers.public import book, manage, unsubscribe

SIGNED = r"([A-Za-z0-9_-]+)"  # a signed link token, read and checked by the page: anything else is a 404

ROUTES: list[tuple[Any, ...]] = [
    (rf"/m/{SIGNED}", manage.ManagePage),
    (rf"/m/{SIGNED}/confirm", manage.ConfirmAppointment),
    (rf"/m/{SIGNED}/cancel", manage.CancelAppointment),
    (rf"/m/{SIGNED}/reschedule", manage.RescheduleAppointment),
    (rf"/u/{SIGNED}", unsubscribe.UnsubscribePage),
    (r"/book/([^/]+)", book.BookPage),
    (r"/book/([^/]+)/code/([^/]+)", book.CodePage),
]
