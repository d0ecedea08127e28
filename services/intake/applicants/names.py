"""Azerbaijani-aware name handling: casing that knows İ/i and I/ı, and a folded ASCII form for
search and duplicate matching (people without an Azerbaijani keyboard type "e" for "ə")."""

from __future__ import annotations

import unicodedata

# Azerbaijani (like Turkish) pairs dotted İ with i and dotless I with ı; Python's str.lower()
# would turn "İ" into "i" plus a combining dot, and "I" into "i".
_AZ_LOWER = str.maketrans({"İ": "i", "I": "ı"})
_ASCII = str.maketrans({"ə": "e", "ı": "i", "ö": "o", "ü": "u", "ş": "s", "ç": "c", "ğ": "g"})
_COMBINING_DOT_ABOVE = "\u0307"


def az_casefold(text: str) -> str:
    """Lower case by Azerbaijani rules: "İLHAM" -> "ilham", "ISMAYILOV" -> "ısmayılov"."""
    text = unicodedata.normalize("NFC", text).translate(_AZ_LOWER)
    return text.casefold().replace(_COMBINING_DOT_ABOVE, "")


def fold(text: str) -> str:
    """Lower-case ASCII-ish form for matching: "Məmmədova  Aygün" -> "memmedova aygun".

    Azerbaijani letters map to the Latin letter people type instead; other accents are dropped;
    punctuation (hyphens, apostrophes) separates words. Letters of other scripts are kept.
    """
    text = az_casefold(text).translate(_ASCII)
    # "I" and "ı" both end up "i": someone typing ISMAYILOV on an English keyboard means İsmayılov.
    decomposed = unicodedata.normalize("NFKD", text)
    words = "".join(
        ch if ch.isalnum() else " " for ch in decomposed if not unicodedata.combining(ch)
    )
    return " ".join(words.split())


def folded_full_name(last_name: str, first_name: str, patronymic: str | None = None) -> str:
    return fold(" ".join(part for part in (last_name, first_name, patronymic) if part))


def search_tokens(query: str) -> list[str]:
    """The folded words of a search query; each must start a word of the name."""
    return fold(query).split()
