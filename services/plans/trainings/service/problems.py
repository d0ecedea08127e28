"""The one-field 422 the trainings' rules answer with."""

from shared.problems import FieldError, ValidationProblem


def field_error(field: str, code: str, message: str) -> ValidationProblem:
    return ValidationProblem([FieldError(field=field, code=code, message=message)])
