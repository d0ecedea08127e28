"""Applicants' message keys in az, en and ru (registered in shared.i18n at import)."""

from shared.i18n import add_messages

add_messages(
    {
        "detail.applicant-exists": {
            "az": "Bu FİN ilə şəxs artıq qeydiyyatdadır: yeni qeydiyyat əvəzinə onun müraciətini "
            "açın",
            "en": "A person with this FIN is already registered: open an application for them "
            "instead of registering them again",
            "ru": "Лицо с этим FIN уже зарегистрировано: подайте заявку от его имени вместо "
            "новой регистрации",
        },
        "field.fin-registered": {
            "az": "Bu FİN artıq qeydiyyatdadır",
            "en": "This FIN is already registered",
            "ru": "Этот FIN уже зарегистрирован",
        },
        "title.already-benefited": {
            "az": "Şəxs artıq proqramdan aktiv alıb",
            "en": "The person has already received assets",
            "ru": "Лицо уже получило активы",
        },
        "detail.already-benefited": {
            "az": "Bir şəxs, bir dəstək: aktivlər {benefited_at} tarixində verilib",
            "en": "One person, one benefit: assets were handed over on {benefited_at}",
            "ru": "Одно лицо, одна помощь: активы переданы {benefited_at}",
        },
        "detail.benefit-override-admin-only": {
            "az": "Təkrar dəstəyə yalnız administrator icazə verə bilər",
            "en": "Only an administrator may override the one-benefit rule",
            "ru": "Обойти правило одной помощи может только администратор",
        },
        "detail.duplicate-keep-invalid": {
            "az": "Saxlanılan şəxs bu cütün biri olmalıdır",
            "en": "The applicant to keep must be one of the pair",
            "ru": "Сохраняемый заявитель должен быть одним из пары",
        },
        "detail.personal-data-in-query": {
            "az": "FİN və ad URL-də göndərilmir (jurnallara düşür): onları sorğunun gövdəsində "
            "POST /v1/applicants/search ünvanına göndərin",
            "en": "FIN and names are not accepted in the URL, where logs and proxies keep them: "
            "send them in the body of POST /v1/applicants/search",
            "ru": "ФИН и имена не принимаются в URL, где их сохраняют журналы и прокси: "
            "отправьте их в теле POST /v1/applicants/search",
        },
        "field.use-post-search": {
            "az": "POST /v1/applicants/search sorğusunun gövdəsində göndərin",
            "en": "Send it in the body of POST /v1/applicants/search",
            "ru": "Отправьте в теле POST /v1/applicants/search",
        },
        "detail.search-personal-data": {
            "az": "FİN və ya adla axtarış şəxsi məlumatlara girişdir: yalnız işçi məmurları, "
            "administratorlar və tərəfdaşlar (öz göndərişləri daxilində) edə bilər",
            "en": "A search by FIN or name reads personal data: only case officers, "
            "administrators and partners (within their own referrals) may make it",
            "ru": "Поиск по ФИН или имени — это доступ к персональным данным: он разрешён только "
            "кураторам, администраторам и партнёрам (в пределах их направлений)",
        },
        "field.purpose-required": {
            "az": "FİN və ya adla axtarışın məqsədi göstərilməlidir (?purpose= və ya X-Purpose)",
            "en": "A search by FIN or name needs its purpose (?purpose= or X-Purpose)",
            "ru": "Для поиска по ФИН или имени укажите цель (?purpose= или X-Purpose)",
        },
        "detail.referral-under-review": {
            "az": "Bu, tərəfdaşın qeydiyyatda olan şəxsə göndərişidir: yalnız /v1/referral-claims"
            "-də razılıqla əlaqələndirildikdən sonra qəbul oluna bilər",
            "en": "This is a partner's referral of a registered person: it can be enrolled only "
            "once linked with consent at /v1/referral-claims",
            "ru": "Это направление партнёром уже зарегистрированного лица: его можно зачислить "
            "только после связывания с согласием в /v1/referral-claims",
        },
        "detail.referral-claims-pending": {
            "az": "Raundun müraciətlərinə dair tərəfdaş göndərişləri baxış gözləyir "
            "(/v1/referral-claims)",
            "en": "Partner referrals among the round's applications await review "
            "(/v1/referral-claims)",
            "ru": "Направления партнёров среди заявок раунда ждут рассмотрения "
            "(/v1/referral-claims)",
        },
        "pydantic.phone_invalid": {
            "az": "Telefon nömrəsi yanlışdır",
            "en": "Not a valid phone number",
            "ru": "Неверный номер телефона",
        },
        "pydantic.phone_not_azerbaijani": {
            "az": "Azərbaycan nömrəsi olmalıdır (+994)",
            "en": "Should be an Azerbaijani number (+994)",
            "ru": "Номер должен быть азербайджанским (+994)",
        },
        "pydantic.region_unknown": {
            "az": "ISO 3166-2:AZ siyahısında olmayan region kodu",
            "en": "Not a region code of ISO 3166-2:AZ",
            "ru": "Код региона не из списка ISO 3166-2:AZ",
        },
        "pydantic.disability_group_required": {
            "az": "Əlillik üçün qrup (I, II, III) göstərilməlidir",
            "en": "A disability needs its group (I, II or III)",
            "ru": "Для инвалидности укажите группу (I, II, III)",
        },
        "pydantic.disability_group_not_allowed": {
            "az": "Qrup yalnız əlillik kateqoriyası üçündür",
            "en": "A group is only for the disability category",
            "ru": "Группа указывается только для инвалидности",
        },
        "pydantic.category_repeated": {
            "az": "Kateqoriya təkrarlanır",
            "en": "A category is given twice",
            "ru": "Категория указана дважды",
        },
        "pydantic.date_in_future": {
            "az": "Tarix gələcəkdə ola bilməz",
            "en": "The date cannot be in the future",
            "ru": "Дата не может быть в будущем",
        },
        "pydantic.purpose_unknown": {
            "az": "Məqsəd bunlardan biri olmalıdır: {expected}",
            "en": "Purpose should be one of: {expected}",
            "ru": "Цель должна быть одной из: {expected}",
        },
    }
)
