"""The catalogue's message keys in az, en and ru (registered in shared.i18n at import)."""

from shared.i18n import add_messages

add_messages(
    {
        "detail.asset-type-exists": {
            "az": "{code} kodlu aktiv növü artıq var",
            "en": "An asset type with code {code} exists already",
            "ru": "Тип актива с кодом {code} уже есть",
        },
        "detail.supplier-exists": {
            "az": "Bu VÖEN ilə təchizatçı artıq var",
            "en": "A supplier with this tax id exists already",
            "ru": "Поставщик с этим ИНН уже есть",
        },
        "field.tax-id-taken": {
            "az": "Bu VÖEN artıq istifadə olunub",
            "en": "This tax id is already used",
            "ru": "Этот ИНН уже используется",
        },
        "field.unknown-asset-type": {
            "az": "Kataloqda belə aktiv növü yoxdur",
            "en": "No such asset type in the catalogue",
            "ru": "Такого типа актива нет в каталоге",
        },
    }
)
