"""Click's own messages that a user meets on a bad command line, in the user's language.

Click looks its messages up with `gettext` at the moment it raises; the modules whose messages a
user can meet are pointed at Exposure's catalogue instead. Only the messages listed here are in the
catalogue (a mistyped value, an unknown option or command, a missing argument); any other click
message stays in English.
"""

from __future__ import annotations

import gettext
import importlib

from simulator.i18n import _, ngettext


def N_(message: str) -> str:
    """Marks a message for the catalogue."""
    return message


def NP_(singular: str, plural: str) -> tuple[str, str]:
    """Marks a message with a plural for the catalogue."""
    return singular, plural


MESSAGES = (
    N_("Invalid value for {param_hint}: {message}"),
    N_("Invalid value: {message}"),
    N_("{value} is not in the range {range}."),
    N_("{value!r} is not a valid {number_type}."),
    N_("{value!r} is not a valid boolean. Recognized values: {states}"),
    N_("No such option {name!r}."),
    N_("No such command {name!r}."),
    N_("Option {name!r} does not take a value."),
    N_("Missing argument"),
    N_("Missing option"),
    N_("Missing parameter"),
    N_("Aborted!"),
    NP_("Did you mean {possibility}?", "(Did you mean one of: {possibilities}?)"),
    NP_("Got unexpected extra argument ({args})", "Got unexpected extra arguments ({args})"),
    NP_("Option {name!r} requires an argument.", "Option {name!r} requires {nargs} arguments."),
    NP_("{value!r} is not {choice}.", "{value!r} is not one of {choices}."),
)


def speak_through_click() -> None:
    """Point click's message look-ups at Exposure's catalogue (idempotent)."""
    for name in ("core", "exceptions", "types", "parser", "decorators"):
        module = importlib.import_module(f"click.{name}")
        if getattr(module, "_", None) is gettext.gettext:
            module._ = _  # type: ignore[attr-defined]
        if getattr(module, "ngettext", None) is gettext.ngettext:
            module.ngettext = ngettext  # type: ignore[attr-defined]
