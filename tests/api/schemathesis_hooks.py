"""Loaded by schemathesis (SCHEMATHESIS_HOOKS) in tests/api/test_generated_input.py: the checks
of our own that every generated request's answer must pass, besides schemathesis' own."""

from __future__ import annotations

import re
from typing import Any

import schemathesis

# What a catalogue key looks like (shared.i18n): text that was never translated.
MESSAGE_KEY = re.compile(r"^(detail|field|title|pydantic)\.[a-z0-9-]+")
LANGUAGES = ("az", "en", "ru")


@schemathesis.check
def problem_speaks_the_language(ctx: Any, response: Any, case: Any) -> bool | None:
    """A problem's title, detail and field messages are text in the request's language, never a
    message key; its Content-Language says which language."""
    if not response.headers.get("content-type", [""])[0].startswith("application/problem+json"):
        return None
    body = response.json()
    texts = [body.get("title"), body.get("detail")]
    texts += [error.get("message") for error in body.get("errors", [])]
    keys = [text for text in texts if isinstance(text, str) and MESSAGE_KEY.match(text)]
    if keys:
        raise AssertionError(f"Problem text is a message key, not text: {keys}")
    language = response.headers.get("content-language", [""])[0]
    if language not in LANGUAGES:
        raise AssertionError(f"Problem without a Content-Language of az, en or ru: {language!r}")
    return True
