"""Visits' message keys in az, en and ru (registered in shared.i18n at import)."""

from shared.i18n import add_messages

add_messages(
    {
        "detail.visit-already-reported": {
            "az": "Bu səfərin hesabatı artıq başqa cihazdan alınıb; düzəlişi PUT ilə edin",
            "en": "Another report of this visit has been received already; correct it with PUT",
            "ru": "Отчёт об этом визите уже получен с другого устройства; исправьте его через PUT",
        },
        "detail.visit-cancelled": {
            "az": "Səfər ləğv edilib: iş bağlandıqdan sonrakı tarix qəbul edilmir",
            "en": "The visit was cancelled: a visit after the case was closed is not accepted",
            "ru": "Визит отменён: визит после закрытия дела не принимается",
        },
        "detail.visit-not-reported": {
            "az": "Bu səfər üçün hələ hesabat yoxdur",
            "en": "This visit has not been reported yet",
            "ru": "По этому визиту ещё нет отчёта",
        },
        "detail.visit-not-assignable": {
            "az": "Yalnız planlaşdırılmış səfər başqa monitora verilə bilər",
            "en": "Only a scheduled visit can be given to another monitor",
            "ru": "Передать другому монитору можно только запланированный визит",
        },
        "detail.photo-type": {
            "az": "Şəkil yalnız JPEG və ya PNG ola bilər",
            "en": "The photo must be a JPEG or PNG file",
            "ru": "Фотография должна быть файлом JPEG или PNG",
        },
        "detail.photo-limit": {
            "az": "Bir səfərin ən çox {limit} şəkli ola bilər",
            "en": "A visit may have at most {limit} photos",
            "ru": "У визита может быть не больше {limit} фотографий",
        },
        "detail.photo-too-large": {
            "az": "Fayl çox böyükdür (ən çox {limit} bayt)",
            "en": "The file is too large (at most {limit} bytes)",
            "ru": "Файл слишком большой (не более {limit} байт)",
        },
        "field.unknown-unit": {
            "az": "İştirakçıya təhvil verilmiş belə əşya yoxdur",
            "en": "No such item was handed over to this participant",
            "ru": "Такой предмет этому участнику не передавался",
        },
        "field.duplicate-unit": {
            "az": "Eyni əşya iki dəfə göstərilib",
            "en": "The same item is listed twice",
            "ru": "Один и тот же предмет указан дважды",
        },
        "field.visited-in-future": {
            "az": "Səfər tarixi gələcəkdə ola bilməz",
            "en": "The visit date cannot be in the future",
            "ru": "Дата визита не может быть в будущем",
        },
        "field.visited-before-delivery": {
            "az": "Səfər tarixi təhvildən əvvəl ola bilməz",
            "en": "The visit date cannot be before the handover",
            "ru": "Дата визита не может быть раньше передачи",
        },
        "field.outside-azerbaijan": {
            "az": "Koordinatlar Azərbaycandan kənardadır",
            "en": "The coordinates are outside Azerbaijan",
            "ru": "Координаты находятся за пределами Азербайджана",
        },
        "field.unknown-monitor": {
            "az": "Belə aktiv monitor yoxdur",
            "en": "No active monitor with this id",
            "ru": "Нет активного монитора с таким идентификатором",
        },
    }
)
