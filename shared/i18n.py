"""Message catalogs for az, en and ru, and the choice of language from Accept-Language.

Catalogs are plain dicts keyed by message key, then language. Keys:
`title.<problem-type>` (problem titles), `detail.<name>` (problem details, formatted with params),
`pydantic.<error-type>` (field messages, formatted with pydantic's error context).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Depends, Header

SUPPORTED_LANGUAGES = ("az", "en", "ru")
DEFAULT_LANGUAGE = "en"

Catalog = dict[str, dict[str, str]]

MESSAGES: Catalog = {
    # Problem titles
    "title.not-found": {
        "az": "Tapılmadı",
        "en": "Not found",
        "ru": "Не найдено",
    },
    "title.conflict": {
        "az": "Ziddiyyət",
        "en": "Conflict",
        "ru": "Конфликт",
    },
    "title.invalid-state": {
        "az": "Bu vəziyyətdə əməliyyat mümkün deyil",
        "en": "Not allowed in the current state",
        "ru": "Недопустимо в текущем состоянии",
    },
    "title.precondition-failed": {
        "az": "Resurs artıq dəyişdirilib",
        "en": "The resource has changed",
        "ru": "Ресурс уже изменён",
    },
    "title.precondition-required": {
        "az": "If-Match başlığı tələb olunur",
        "en": "If-Match header required",
        "ru": "Требуется заголовок If-Match",
    },
    "title.validation-error": {
        "az": "Sorğu yanlışdır",
        "en": "The request is not valid",
        "ru": "Некорректный запрос",
    },
    "title.forbidden": {
        "az": "İcazə yoxdur",
        "en": "Forbidden",
        "ru": "Доступ запрещён",
    },
    "title.unauthorized": {
        "az": "Autentifikasiya tələb olunur",
        "en": "Authentication required",
        "ru": "Требуется аутентификация",
    },
    "title.idempotency-key-reused": {
        "az": "Idempotency-Key başqa sorğu ilə istifadə olunub",
        "en": "Idempotency-Key already used with a different request",
        "ru": "Idempotency-Key уже использован с другим запросом",
    },
    "title.bad-request": {
        "az": "Yanlış sorğu",
        "en": "Bad request",
        "ru": "Неверный запрос",
    },
    "title.method-not-allowed": {
        "az": "Metoda icazə verilmir",
        "en": "Method not allowed",
        "ru": "Метод не разрешён",
    },
    "title.not-acceptable": {
        "az": "Cavab formatı dəstəklənmir",
        "en": "Not acceptable",
        "ru": "Неприемлемый формат ответа",
    },
    "title.payload-too-large": {
        "az": "Sorğu çox böyükdür",
        "en": "Payload too large",
        "ru": "Слишком большой запрос",
    },
    "title.unsupported-media-type": {
        "az": "Məlumat formatı dəstəklənmir",
        "en": "Unsupported media type",
        "ru": "Неподдерживаемый тип данных",
    },
    "title.too-many-requests": {
        "az": "Həddindən çox sorğu",
        "en": "Too many requests",
        "ru": "Слишком много запросов",
    },
    "title.internal-error": {
        "az": "Daxili xəta",
        "en": "Internal error",
        "ru": "Внутренняя ошибка",
    },
    "title.service-unavailable": {
        "az": "Xidmət müvəqqəti əlçatan deyil",
        "en": "Service unavailable",
        "ru": "Сервис временно недоступен",
    },
    # Problem details
    "detail.not-found": {
        "az": "{resource} {id} tapılmadı.",
        "en": "{resource} {id} was not found.",
        "ru": "{resource} {id} не найден(а).",
    },
    "detail.route-not-found": {
        "az": "Belə ünvan yoxdur.",
        "en": "There is no such path.",
        "ru": "Такого адреса нет.",
    },
    "detail.invalid-state": {
        "az": "Cari vəziyyət: {current_state}.",
        "en": "Current state: {current_state}.",
        "ru": "Текущее состояние: {current_state}.",
    },
    "detail.precondition-failed": {
        "az": "Resurs siz oxuyandan sonra dəyişdirilib; onu yenidən oxuyub təkrar cəhd edin.",
        "en": "The resource changed since you read it; read it again and retry.",
        "ru": "Ресурс изменился после чтения; прочитайте его снова и повторите.",
    },
    "detail.precondition-required": {
        "az": "Dəyişiklik üçün resursun ETag dəyərini If-Match başlığında göndərin.",
        "en": "Send the resource's ETag in an If-Match header to change it.",
        "ru": "Чтобы изменить ресурс, передайте его ETag в заголовке If-Match.",
    },
    "detail.credentials-missing": {
        "az": "Bearer token və ya X-API-Key göndərin.",
        "en": "Send a bearer token or an X-API-Key.",
        "ru": "Передайте bearer-токен или X-API-Key.",
    },
    "detail.token-invalid": {
        "az": "Token etibarsızdır və ya vaxtı bitib.",
        "en": "The token is invalid or has expired.",
        "ru": "Токен недействителен или истёк.",
    },
    "detail.api-key-invalid": {
        "az": "API açarı etibarsızdır, ləğv edilib və ya vaxtı bitib.",
        "en": "The API key is invalid, revoked or expired.",
        "ru": "API-ключ недействителен, отозван или истёк.",
    },
    "detail.role-required": {
        "az": "Bu əməliyyat üçün rolunuz yoxdur.",
        "en": "Your role does not allow this operation.",
        "ru": "Ваша роль не позволяет выполнить эту операцию.",
    },
    "detail.scope-required": {
        "az": "API açarının bu əməliyyat üçün icazəsi yoxdur.",
        "en": "The API key's scopes do not allow this operation.",
        "ru": "Области действия API-ключа не позволяют эту операцию.",
    },
    "detail.idempotency-in-progress": {
        "az": "Bu Idempotency-Key ilə sorğu artıq icra olunur; bir az sonra təkrarlayın.",
        "en": "A request with this Idempotency-Key is being processed; retry shortly.",
        "ru": "Запрос с этим Idempotency-Key уже выполняется; повторите чуть позже.",
    },
    "detail.internal-error": {
        "az": "Gözlənilməz xəta baş verdi. Sorğu identifikatoru: {request_id}.",
        "en": "An unexpected error occurred. Request id: {request_id}.",
        "ru": "Произошла непредвиденная ошибка. Идентификатор запроса: {request_id}.",
    },
    # Field messages (pydantic error types); {placeholders} come from the error's context.
    "pydantic.missing": {
        "az": "Sahə tələb olunur",
        "en": "Field required",
        "ru": "Обязательное поле",
    },
    "pydantic.extra_forbidden": {
        "az": "Bu sahəyə icazə verilmir",
        "en": "Extra fields are not permitted",
        "ru": "Лишние поля не допускаются",
    },
    "pydantic.string_type": {
        "az": "Mətn olmalıdır",
        "en": "Input should be a valid string",
        "ru": "Значение должно быть строкой",
    },
    "pydantic.string_too_short": {
        "az": "Ən azı {min_length} simvol olmalıdır",
        "en": "Should have at least {min_length} characters",
        "ru": "Должно содержать не менее {min_length} символов",
    },
    "pydantic.string_too_long": {
        "az": "Ən çoxu {max_length} simvol olmalıdır",
        "en": "Should have at most {max_length} characters",
        "ru": "Должно содержать не более {max_length} символов",
    },
    "pydantic.string_pattern_mismatch": {
        "az": "Format yanlışdır",
        "en": "The format is not valid",
        "ru": "Неверный формат",
    },
    "pydantic.too_short": {
        "az": "Ən azı {min_length} element olmalıdır",
        "en": "Should have at least {min_length} items",
        "ru": "Должно содержать не менее {min_length} элементов",
    },
    "pydantic.too_long": {
        "az": "Ən çoxu {max_length} element olmalıdır",
        "en": "Should have at most {max_length} items",
        "ru": "Должно содержать не более {max_length} элементов",
    },
    "pydantic.value_error": {
        "az": "Dəyər yanlışdır: {error}",
        "en": "Invalid value: {error}",
        "ru": "Недопустимое значение: {error}",
    },
    "pydantic.assertion_error": {
        "az": "Dəyər yanlışdır",
        "en": "Invalid value",
        "ru": "Недопустимое значение",
    },
    "pydantic.int_parsing": {
        "az": "Tam ədəd olmalıdır",
        "en": "Input should be a valid integer",
        "ru": "Значение должно быть целым числом",
    },
    "pydantic.int_type": {
        "az": "Tam ədəd olmalıdır",
        "en": "Input should be a valid integer",
        "ru": "Значение должно быть целым числом",
    },
    "pydantic.int_from_float": {
        "az": "Kəsr hissəsi olmayan tam ədəd olmalıdır",
        "en": "Input should be a whole number",
        "ru": "Значение должно быть целым числом без дробной части",
    },
    "pydantic.float_parsing": {
        "az": "Ədəd olmalıdır",
        "en": "Input should be a valid number",
        "ru": "Значение должно быть числом",
    },
    "pydantic.bool_parsing": {
        "az": "true və ya false olmalıdır",
        "en": "Input should be true or false",
        "ru": "Значение должно быть true или false",
    },
    "pydantic.decimal_parsing": {
        "az": "Onluq ədəd olmalıdır",
        "en": "Input should be a valid decimal number",
        "ru": "Значение должно быть десятичным числом",
    },
    "pydantic.decimal_type": {
        "az": "Onluq ədəd olmalıdır (mətn kimi)",
        "en": "Input should be a decimal number (as a string)",
        "ru": "Значение должно быть десятичным числом (строкой)",
    },
    "pydantic.decimal_max_digits": {
        "az": "Ən çoxu {max_digits} rəqəm olmalıdır",
        "en": "Should have at most {max_digits} digits",
        "ru": "Должно содержать не более {max_digits} цифр",
    },
    "pydantic.decimal_max_places": {
        "az": "Vergüldən sonra ən çoxu {decimal_places} rəqəm olmalıdır",
        "en": "Should have at most {decimal_places} decimal places",
        "ru": "Не более {decimal_places} знаков после запятой",
    },
    "pydantic.date_parsing": {
        "az": "Tarix YYYY-MM-DD formatında olmalıdır",
        "en": "Input should be a date as YYYY-MM-DD",
        "ru": "Дата должна быть в формате YYYY-MM-DD",
    },
    "pydantic.date_from_datetime_parsing": {
        "az": "Tarix YYYY-MM-DD formatında olmalıdır",
        "en": "Input should be a date as YYYY-MM-DD",
        "ru": "Дата должна быть в формате YYYY-MM-DD",
    },
    "pydantic.date_type": {
        "az": "Tarix olmalıdır",
        "en": "Input should be a valid date",
        "ru": "Значение должно быть датой",
    },
    "pydantic.date_past": {
        "az": "Tarix keçmişdə olmalıdır",
        "en": "Date should be in the past",
        "ru": "Дата должна быть в прошлом",
    },
    "pydantic.date_future": {
        "az": "Tarix gələcəkdə olmalıdır",
        "en": "Date should be in the future",
        "ru": "Дата должна быть в будущем",
    },
    "pydantic.datetime_parsing": {
        "az": "Vaxt ISO 8601 formatında olmalıdır",
        "en": "Input should be an ISO 8601 date and time",
        "ru": "Время должно быть в формате ISO 8601",
    },
    "pydantic.datetime_from_date_parsing": {
        "az": "Vaxt ISO 8601 formatında olmalıdır",
        "en": "Input should be an ISO 8601 date and time",
        "ru": "Время должно быть в формате ISO 8601",
    },
    "pydantic.datetime_type": {
        "az": "Vaxt olmalıdır",
        "en": "Input should be a valid date and time",
        "ru": "Значение должно быть датой и временем",
    },
    "pydantic.timezone_aware": {
        "az": "Vaxt zonası göstərilməlidir",
        "en": "Input should include a time zone",
        "ru": "Укажите часовой пояс",
    },
    "pydantic.uuid_parsing": {
        "az": "UUID olmalıdır",
        "en": "Input should be a valid UUID",
        "ru": "Значение должно быть UUID",
    },
    "pydantic.uuid_type": {
        "az": "UUID olmalıdır",
        "en": "Input should be a valid UUID",
        "ru": "Значение должно быть UUID",
    },
    "pydantic.greater_than": {
        "az": "{gt} dəyərindən böyük olmalıdır",
        "en": "Should be greater than {gt}",
        "ru": "Должно быть больше {gt}",
    },
    "pydantic.greater_than_equal": {
        "az": "{ge} dəyərindən kiçik olmamalıdır",
        "en": "Should be greater than or equal to {ge}",
        "ru": "Должно быть не меньше {ge}",
    },
    "pydantic.less_than": {
        "az": "{lt} dəyərindən kiçik olmalıdır",
        "en": "Should be less than {lt}",
        "ru": "Должно быть меньше {lt}",
    },
    "pydantic.less_than_equal": {
        "az": "{le} dəyərindən böyük olmamalıdır",
        "en": "Should be less than or equal to {le}",
        "ru": "Должно быть не больше {le}",
    },
    "pydantic.enum": {
        "az": "Bunlardan biri olmalıdır: {expected}",
        "en": "Should be one of: {expected}",
        "ru": "Допустимые значения: {expected}",
    },
    "pydantic.literal_error": {
        "az": "Bunlardan biri olmalıdır: {expected}",
        "en": "Should be one of: {expected}",
        "ru": "Допустимые значения: {expected}",
    },
    "pydantic.json_invalid": {
        "az": "JSON yanlışdır",
        "en": "Invalid JSON",
        "ru": "Некорректный JSON",
    },
    "pydantic.json_type": {
        "az": "JSON olmalıdır",
        "en": "Input should be JSON",
        "ru": "Значение должно быть JSON",
    },
    "pydantic.model_attributes_type": {
        "az": "Obyekt olmalıdır",
        "en": "Input should be an object",
        "ru": "Значение должно быть объектом",
    },
    "pydantic.dict_type": {
        "az": "Obyekt olmalıdır",
        "en": "Input should be an object",
        "ru": "Значение должно быть объектом",
    },
    "pydantic.model_type": {
        "az": "Obyekt olmalıdır",
        "en": "Input should be an object",
        "ru": "Значение должно быть объектом",
    },
    "pydantic.list_type": {
        "az": "Siyahı olmalıdır",
        "en": "Input should be a list",
        "ru": "Значение должно быть списком",
    },
    "pydantic.url_parsing": {
        "az": "URL yanlışdır",
        "en": "Input should be a valid URL",
        "ru": "Некорректный URL",
    },
    "pydantic.value_not_unique": {
        "az": "Dəyərlər təkrarlanmamalıdır",
        "en": "Values should be unique",
        "ru": "Значения не должны повторяться",
    },
    # Field messages raised by shared code, or by more than one service
    "field.code-taken": {
        "az": "Bu kod artıq istifadə olunub",
        "en": "This code is already used",
        "ru": "Этот код уже используется",
    },
    "field.cursor-invalid": {
        "az": "Kursor yanlışdır; onu əvvəlki cavabdan olduğu kimi götürün",
        "en": "Invalid cursor; pass it exactly as the previous page returned it",
        "ru": "Неверный курсор; передайте его в точности как в предыдущем ответе",
    },
    "field.not-null": {
        "az": "boş ola bilməz",
        "en": "must not be null",
        "ru": "не может быть пустым",
    },
    "field.period-order": {
        "az": "dövrün sonu başlanğıcından əvvəldir",
        "en": "the period ends before it starts",
        "ru": "период заканчивается раньше, чем начинается",
    },
    "field.if-match-invalid": {
        "az": "If-Match başlığı yanlışdır",
        "en": "Invalid If-Match header",
        "ru": "Неверный заголовок If-Match",
    },
}


def add_messages(catalog: Mapping[str, Mapping[str, str]]) -> None:
    """Registers a domain's own keys (e.g. `detail.duplicate-applicant`), from its messages.py.

    A key is registered once: a second registration would silently change another domain's
    text, so it fails at import instead. Every key has its text in every supported language.
    """
    for key, by_language in catalog.items():
        if key in MESSAGES:
            raise ValueError(f"message {key!r} is already registered")
        missing = set(SUPPORTED_LANGUAGES) - set(by_language)
        if missing:
            raise ValueError(f"message {key!r} has no text in {sorted(missing)}")
        MESSAGES[key] = dict(by_language)


def negotiate_language(accept_language: str | None) -> str:
    """The best supported language for an Accept-Language header (RFC 9110 q-values).

    "az-Latn-AZ" counts as "az"; "*" and anything unknown fall back to the default.
    """
    if not accept_language:
        return DEFAULT_LANGUAGE
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(accept_language.split(",")):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        primary = tag.strip().split("-")[0].lower()
        if quality > 0 and primary:
            # Position breaks ties so that equal q-values keep the client's order.
            ranked.append((-quality, position, primary))
    for _, _, primary in sorted(ranked):
        if primary in SUPPORTED_LANGUAGES:
            return primary
        if primary == "*":
            return DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


async def request_language(
    accept_language: Annotated[str | None, Header(description="az, en or ru")] = None,
) -> str:
    return negotiate_language(accept_language)


LanguageDep = Annotated[str, Depends(request_language)]
"""The language a route answers its own texts in (problems negotiate theirs the same way)."""


def translate(key: str, language: str, params: Mapping[str, Any] | None = None) -> str:
    """The message for `key` in `language` (else English), formatted with `params`.

    A `key` that is not in the catalog is taken as literal text, so services may pass either.
    """
    by_language = MESSAGES.get(key)
    if by_language is None:
        text = key
    else:
        text = by_language.get(language) or by_language.get(DEFAULT_LANGUAGE) or key
    if not params:
        return text
    try:
        return text.format_map(params)
    except (KeyError, IndexError, ValueError):
        # A template and its params out of step must not turn an error response into a 500.
        return text


def has_message(key: str) -> bool:
    return key in MESSAGES
