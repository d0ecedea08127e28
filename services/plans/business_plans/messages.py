"""Business plans' message keys in az, en and ru (registered in shared.i18n at import)."""

from shared.i18n import add_messages

add_messages(
    {
        "detail.ceiling-exceeded": {
            "az": "Tələb olunan aktivlərin cəmi {total} AZN {direction} istiqamətinin "
            "{ceiling} AZN həddini aşır ({items})",
            "en": "The requested assets total {total} AZN, over the {ceiling} AZN ceiling of "
            "{direction} ({items})",
            "ru": "Запрошенные активы на {total} AZN превышают предел {ceiling} AZN "
            "направления {direction} ({items})",
        },
        "field.ceiling-exceeded": {
            "az": "İstiqamətin xərc həddini aşır",
            "en": "Over the direction's cost ceiling",
            "ru": "Превышает предел стоимости направления",
        },
        "detail.asset-outside-package": {
            "az": "{direction} istiqamətinin aktiv paketində olmayan aktivlər: {asset_types}",
            "en": "Not in the asset package of {direction}: {asset_types}",
            "ru": "Не входит в пакет активов направления {direction}: {asset_types}",
        },
        "field.asset-outside-package": {
            "az": "İstiqamətin aktiv paketində deyil",
            "en": "Not in the direction's asset package",
            "ru": "Не входит в пакет активов направления",
        },
        "detail.unknown-direction": {
            "az": "Planın istiqaməti ({direction}) kataloqda yoxdur",
            "en": "The plan's direction ({direction}) is not in the catalogue",
            "ru": "Направления плана ({direction}) нет в каталоге",
        },
        "detail.plan-incomplete": {
            "az": "Plan tam deyil: göstərilən bölmələri doldurun",
            "en": "The plan is not complete: fill in the sections named",
            "ru": "План не заполнен: заполните указанные разделы",
        },
        "field.section-required": {
            "az": "Təqdim etməzdən əvvəl doldurulmalıdır",
            "en": "Required before the plan is submitted",
            "ru": "Обязательно до подачи плана",
        },
        "detail.reviewer-is-author": {
            "az": "Planı yazan və ya təqdim edən onu yoxlaya bilməz",
            "en": "Whoever wrote or submitted a plan cannot review it",
            "ru": "Автор плана не может его рассматривать",
        },
        "detail.checklist-incomplete": {
            "az": "Yoxlama siyahısının bütün bəndləri keçməlidir",
            "en": "Every check of the checklist must pass first",
            "ru": "Сначала должны быть пройдены все пункты проверки",
        },
        "detail.training-required": {
            "az": "İştirakçı bu istiqamət üzrə təlimi başa vurmayıb",
            "en": "The participant has not completed a training in this direction",
            "ru": "Участник не завершил обучение по этому направлению",
        },
    }
)
