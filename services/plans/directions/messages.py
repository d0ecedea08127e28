"""Directions' message keys in az, en and ru (registered in shared.i18n at import)."""

from shared.i18n import add_messages

add_messages(
    {
        "detail.direction-exists": {
            "az": "{code} kodlu istiqamət artıq var",
            "en": "A direction with code {code} exists already",
            "ru": "Направление с кодом {code} уже есть",
        },
    }
)
