"""Deliveries' message keys in az, en and ru (registered in shared.i18n at import)."""

from shared.i18n import add_messages

add_messages(
    {
        "detail.serial-already-delivered": {
            "az": "Bu seriya və ya birka nömrəsi artıq başqa təhvildə qeydə alınıb",
            "en": "This serial or tag number has been handed over already",
            "ru": "Этот серийный номер или бирка уже были переданы",
        },
        "field.serial-already-delivered": {
            "az": "Artıq təhvil verilib; hal qeydə alındı",
            "en": "Handed over already; the attempt has been flagged",
            "ru": "Уже передан; попытка отмечена",
        },
        "detail.act-type": {
            "az": "Akt yalnız PDF, JPEG və ya PNG ola bilər",
            "en": "The act must be a PDF, JPEG or PNG file",
            "ru": "Акт должен быть файлом PDF, JPEG или PNG",
        },
        "detail.act-too-large": {
            "az": "Fayl çox böyükdür (ən çox {limit} bayt)",
            "en": "The file is too large (at most {limit} bytes)",
            "ru": "Файл слишком большой (не более {limit} байт)",
        },
    }
)
