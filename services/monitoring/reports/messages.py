"""Reports' message keys in az, en and ru (registered in shared.i18n at import)."""

from shared.i18n import add_messages

add_messages(
    {
        "field.region-unknown": {
            "az": "ISO 3166-2:AZ region kodu deyil",
            "en": "Not a region code of ISO 3166-2:AZ",
            "ru": "Не код региона ISO 3166-2:AZ",
        },
        "field.age-band": {
            "az": 'Yaş qrupu "30-39" kimi on illik olmalıdır',
            "en": 'An age band is a decade such as "30-39"',
            "ru": 'Возрастная группа — десятилетие, например "30-39"',
        },
        "report.partner-line": {
            "az": "{enrolled} nəfər proqrama cəlb olunub, onlardan {priority} nəfəri şəhid ailəsi "
            "üzvü və ya müharibə iştirakçısıdır",
            "en": "{enrolled} persons enrolled, {priority} of them from martyr families or war "
            "participants",
            "ru": "Зачислено {enrolled} человек, из них {priority} — члены семей шехидов или "
            "участники войны",
        },
        "report.withheld": {
            "az": "açıqlanmayan sayda",
            "en": "an undisclosed number",
            "ru": "нераскрываемое число",
        },
        "report.fewer-than-5": {
            "az": "5-dən az",
            "en": "fewer than 5",
            "ru": "менее 5",
        },
    }
)
