"""The words a client's text may be, in each language the product speaks, and what each asks for.

A text that is one of these words (case, spaces and the punctuation around it ignored) is acted on at once
(booking.inbound); anything else is a message for the front desk's inbox.
"""

from __future__ import annotations

from enum import StrEnum


class TextAction(StrEnum):
    """What a client's text asks for, read from its keyword; any other text is a MESSAGE for the inbox."""

    STOP = "stop"
    START = "start"
    HELP = "help"
    CONFIRM = "confirm"
    MESSAGE = "message"


# The words a text may be, by language, each action's first word the one the salon's texts teach. English is
# read in every salon (carriers and providers act on its opt-out words everywhere); each other language's
# beside it, in a salon of that language.
KEYWORDS: dict[str, dict[TextAction, tuple[str, ...]]] = {
    "en": {
        TextAction.STOP: ("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"),
        TextAction.START: ("START", "UNSTOP"),
        TextAction.HELP: ("HELP", "INFO"),
        TextAction.CONFIRM: ("YES", "Y", "C", "CONFIRM"),
    },
    "de": {
        TextAction.STOP: ("STOPP", "ABMELDEN", "ENDE"),
        TextAction.START: ("START",),
        TextAction.HELP: ("HILFE",),
        TextAction.CONFIRM: ("JA", "J", "BESTÄTIGEN", "BESTAETIGEN"),  # a phone without Ä writes AE
    },
    "es": {
        TextAction.STOP: ("PARAR", "BAJA"),
        TextAction.START: ("ALTA",),
        TextAction.HELP: ("AYUDA",),
        TextAction.CONFIRM: ("SÍ", "SI", "CONFIRMAR"),
    },
}


def action_of(body: str, language: str = "en") -> TextAction:
    """What a text asks for: its keyword's action, in English or ``language`` (case, spaces and punctuation around
    it ignored), else MESSAGE."""
    word = "".join(body.split()).strip(".,;:!?¡¿").upper()
    for words in (KEYWORDS["en"], KEYWORDS.get(language, {})):
        for action, said in words.items():
            if word in said:
                return action
    return TextAction.MESSAGE


def confirm_word(language: str) -> str:
    """The word a client texts to confirm, as the salon's texts teach it: YES, JA, SÍ."""
    return KEYWORDS.get(language, KEYWORDS["en"])[TextAction.CONFIRM][0]


def stop_word(language: str) -> str:
    """The word a client texts to get no more texts, as the salon's texts teach it: STOP, STOPP."""
    return KEYWORDS.get(language, KEYWORDS["en"])[TextAction.STOP][0]
