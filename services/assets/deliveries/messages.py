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

# Field errors of a handover ("field.not-an-item" is the orders domain's).
add_messages(
    {
        "field.item-listed-twice": {
            "az": "bu mal iki dəfə göstərilib",
            "en": "this item is listed twice",
            "ru": "эта позиция указана дважды",
        },
        "field.bulk-not-numbered": {
            "az": "bu növ sayla verilir, nömrə ilə deyil",
            "en": "a bulk type is counted, not numbered",
            "ru": "этот тип считается количеством, а не номерами",
        },
        "field.bulk-quantity-needed": {
            "az": "təhvil verilən miqdar lazımdır",
            "en": "the quantity handed over is needed",
            "ru": "нужно переданное количество",
        },
        "field.serials-needed": {
            "az": "hər vahid üçün bir seriya və ya birka nömrəsi lazımdır",
            "en": "one serial or tag number per unit handed over is needed",
            "ru": "нужен один серийный номер или бирка на каждую переданную единицу",
        },
        "field.serials-count-mismatch": {
            "az": "miqdar nömrələrin sayına bərabər deyil",
            "en": "the quantity differs from the number of serial numbers",
            "ru": "количество не совпадает с числом серийных номеров",
        },
        "field.serials-repeat": {
            "az": "seriya nömrələri təkrarlanır",
            "en": "serial numbers repeat",
            "ru": "серийные номера повторяются",
        },
        "field.over-delivery": {
            "az": "bu maldan sifarişdə qalandan çoxdur",
            "en": "more than is left of this item to hand over",
            "ru": "больше, чем осталось передать по этой позиции",
        },
    }
)
