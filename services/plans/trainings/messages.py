"""Trainings' message keys in az, en and ru (registered in shared.i18n at import)."""

from shared.i18n import add_messages

add_messages(
    {
        "detail.already-enrolled": {
            "az": "İştirakçı bu sessiyaya artıq yazılıb",
            "en": "The participant is already enrolled in this session",
            "ru": "Участник уже записан на эту сессию",
        },
        "detail.capacity-below-taken": {
            "az": "Tutum artıq tutulmuş yerlərin sayından az ola bilməz ({taken})",
            "en": "The capacity cannot be below the places already taken ({taken})",
            "ru": "Вместимость не может быть меньше числа занятых мест ({taken})",
        },
        "field.course-unknown": {
            "az": "Belə kurs yoxdur",
            "en": "No such course",
            "ru": "Такого курса нет",
        },
        "field.course-inactive": {
            "az": "Kurs aktiv deyil",
            "en": "The course is not active",
            "ru": "Курс не активен",
        },
        "field.not-own-partner": {
            "az": "Tərəfdaş yalnız öz sessiyalarını keçirə bilər",
            "en": "A partner runs only its own sessions",
            "ru": "Партнёр проводит только свои сессии",
        },
        "field.not-a-training-day": {
            "az": "Bu tarix sessiyanın təlim günü deyil",
            "en": "Not a training day of the session",
            "ru": "Эта дата не является днём обучения сессии",
        },
        "field.not-enrolled": {
            "az": "İştirakçı bu sessiyaya yazılmayıb",
            "en": "The participant is not enrolled in this session",
            "ru": "Участник не записан на эту сессию",
        },
        "field.period-invalid": {
            "az": "Tarixlər yanlışdır: bitmə başlamadan əvvəl və ya günlər dövrdən kənardadır",
            "en": "The dates do not fit: the end is before the start, or a day is outside them",
            "ru": "Даты не согласованы: конец раньше начала или день вне периода",
        },
        "field.run-by-invalid": {
            "az": 'Tərəfdaşın identifikatoru və ya "ministry" olmalıdır',
            "en": 'Should be a partner\'s id or "ministry"',
            "ru": 'Должно быть идентификатором партнёра или "ministry"',
        },
        "detail.no-training-memorandum": {
            "az": "Tərəfdaşın təlimləri əhatə edən memorandumu yoxdur",
            "en": "The partner has no memorandum that covers trainings",
            "ru": "У партнёра нет меморандума, охватывающего обучение",
        },
        "detail.outside-training-memorandum": {
            "az": "Sessiyanın tarixləri tərəfdaşın təlimləri əhatə edən heç bir memorandumunun "
            "müddətinə tam daxil deyil",
            "en": "The session's dates do not lie within one of the partner's memoranda that "
            "cover trainings",
            "ru": "Даты сессии не укладываются целиком в срок ни одного меморандума партнёра, "
            "охватывающего обучение",
        },
        "field.no-training-memorandum": {
            "az": "Bu tərəfdaşın təlimləri əhatə edən memorandumu yoxdur",
            "en": "This partner has no memorandum that covers trainings",
            "ru": "У этого партнёра нет меморандума, охватывающего обучение",
        },
        "field.outside-training-memorandum": {
            "az": "Tarix tərəfdaşın təlimləri əhatə edən memorandumunun müddətindən kənardadır",
            "en": "The date is outside the partner's memoranda that cover trainings",
            "ru": "Дата вне срока меморандумов партнёра, охватывающих обучение",
        },
    }
)
