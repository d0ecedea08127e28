"""Privacy's message keys in az, en and ru (registered in shared.i18n at import)."""

from shared.i18n import add_messages

add_messages(
    {
        "title.applicant-erased": {
            "az": "Şəxsin məlumatları silinib",
            "en": "The person's data was erased",
            "ru": "Данные лица удалены",
        },
        "detail.applicant-erased": {
            "az": "Bu şəxsin şəxsi məlumatları silinib: heç nə göstərilmir",
            "en": "This person's personal data was erased: nothing is shown",
            "ru": "Персональные данные этого лица удалены: ничего не показывается",
        },
        "detail.erasure-open-application": {
            "az": "Şəxsin açıq müraciəti və ya bağlanmamış işi var: əvvəlcə onu geri götürün və ya "
            "ləğv edin",
            "en": "The person has an open application or a case not closed: withdraw or cancel "
            "it first",
            "ru": "У лица есть открытая заявка или незакрытое дело: сначала отзовите или "
            "отмените её",
        },
        "detail.export-media-type": {
            "az": "Çıxarış yalnız application/json və ya application/pdf kimi verilir",
            "en": "An export is served as application/json or application/pdf only",
            "ru": "Выписка выдаётся только как application/json или application/pdf",
        },
        "field.partner-unknown": {
            "az": "Belə tərəfdaş yoxdur",
            "en": "No such partner",
            "ru": "Такого партнёра нет",
        },
        "pydantic.partner_required": {
            "az": "Tərəfdaşla paylaşma razılığı tərəfdaşı göstərməlidir (partner_id)",
            "en": "Consent to share names its partner (partner_id)",
            "ru": "Согласие на передачу указывает партнёра (partner_id)",
        },
        "pydantic.partner_not_allowed": {
            "az": "Emal razılığı tərəfdaş göstərmir",
            "en": "Consent to processing names no partner",
            "ru": "Согласие на обработку не указывает партнёра",
        },
    }
)
