"""Grievances' message keys in az, en and ru (registered in shared.i18n at import)."""

from shared.i18n import add_messages

add_messages(
    {
        "field.appeal-needs-decision": {
            "az": "Apellyasiya qərarı göstərir: decision_id və category decision",
            "en": "An appeal names a decision: decision_id, with category decision",
            "ru": "Апелляция указывает решение: decision_id и category decision",
        },
        "field.decision-only-for-appeals": {
            "az": "Qərar yalnız apellyasiyada göstərilir",
            "en": "Only an appeal names a decision",
            "ru": "Решение указывает только апелляция",
        },
        "field.unknown-decision": {
            "az": "Bu müraciət barədə belə qərar yoxdur",
            "en": "There is no such decision about this application",
            "ru": "Такого решения по этой заявке нет",
        },
        "field.decision-reversed": {
            "az": "Bu qərar artıq ləğv edilib",
            "en": "This decision has been reversed already",
            "ru": "Это решение уже отменено",
        },
        "field.appeal-period-over": {
            "az": "Bu qərardan apellyasiya müddəti bitib",
            "en": "The time to appeal this decision is over",
            "ru": "Срок обжалования этого решения истёк",
        },
    }
)
