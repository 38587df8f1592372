"""The one translation function every learner-facing text goes through."""

from __future__ import annotations

import gettext as _gettext
from functools import lru_cache
from importlib import resources

DOMAIN = "exposure"


@lru_cache(maxsize=1)
def _translations() -> _gettext.NullTranslations:
    """Catalogue for the user's language (LANGUAGE, LC_ALL, LC_MESSAGES, LANG), or none."""
    localedir = resources.files("simulator") / "locale"
    return _gettext.translation(DOMAIN, localedir=str(localedir), fallback=True)


def _(message: str) -> str:
    """Translate one learner-facing message."""
    return _translations().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Translate a message whose form depends on a count."""
    return _translations().ngettext(singular, plural, n)
