"""Partners' message keys in az, en and ru (registered in shared.i18n at import)."""

from shared.i18n import add_messages

add_messages(
    {
        "detail.partner-principal-only": {
            "az": "Bu ünvan yalnız tərəfdaş təşkilatın açarı və ya hesabı üçündür",
            "en": "Only a partner organisation's key or account has a partner record",
            "ru": "Запись партнёра есть только у ключа или учётной записи партнёра",
        },
        "detail.memorandum-number-taken": {
            "az": "Bu tərəfdaşın bu nömrəli memorandumu artıq var",
            "en": "The partner already has a memorandum with this number",
            "ru": "У партнёра уже есть меморандум с этим номером",
        },
        "field.memorandum-number-taken": {
            "az": "Bu nömrə artıq istifadə olunub",
            "en": "This number is already used",
            "ru": "Этот номер уже используется",
        },
        "field.period-reversed": {
            "az": "Bitmə tarixi başlama tarixindən əvvəl ola bilməz",
            "en": "Should not be before valid_from",
            "ru": "Не может быть раньше valid_from",
        },
        "field.expiry-past": {
            "az": "Vaxt gələcəkdə olmalıdır",
            "en": "Should be in the future",
            "ru": "Время должно быть в будущем",
        },
        "pydantic.contact_phone_invalid": {
            "az": "Telefon nömrəsi yanlışdır",
            "en": "Not a valid phone number",
            "ru": "Неверный номер телефона",
        },
        "pydantic.contact_email_invalid": {
            "az": "E-poçt ünvanı yanlışdır",
            "en": "Not a valid e-mail address",
            "ru": "Неверный адрес электронной почты",
        },
    }
)
