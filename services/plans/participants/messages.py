"""Participants' message keys in az, en and ru (registered in shared.i18n at import)."""

from shared.i18n import add_messages

add_messages(
    {
        "field.unknown-direction": {
            "az": "Belə aktiv istiqamət yoxdur",
            "en": "No active direction has this code",
            "ru": "Нет активного направления с таким кодом",
        },
    }
)
