"""Cases' and flags' message keys in az, en and ru (registered in shared.i18n at import)."""

from shared.i18n import add_messages

add_messages(
    {
        "detail.case-closed": {
            "az": "Bu iş artıq bağlanıb ({current_state})",
            "en": "This case is closed already ({current_state})",
            "ru": "Это дело уже закрыто ({current_state})",
        },
        "detail.flag-resolved": {
            "az": "Bu qeyd artıq həll olunub",
            "en": "This flag has been resolved already",
            "ru": "Эта отметка уже закрыта",
        },
        "field.rule-parameters": {
            "az": "Parametrlər bu qayda növünə uyğun deyil",
            "en": "The parameters do not fit this kind of rule",
            "ru": "Параметры не подходят для этого вида правила",
        },
        "field.reason-not-for-outcome": {
            "az": "Bu səbəb bu nəticəyə aid deyil",
            "en": "This reason does not go with this outcome",
            "ru": "Эта причина не подходит к этому исходу",
        },
    }
)
