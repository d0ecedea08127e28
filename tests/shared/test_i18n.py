"""The message catalogue: each key registered once, with its text in every language."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

from shared.i18n import MESSAGES, SUPPORTED_LANGUAGES, add_messages, translate

SERVICES = ("intake", "plans", "assets", "monitoring")
# A whole message key, e.g. "detail.applicant-exists" (not a prefix such as "field.").
MESSAGE_KEY = re.compile(r"(detail|field|title)\.[a-z0-9]+(-[a-z0-9]+)*")


def import_every_module() -> None:
    """Every module of every service, so that every domain's messages are registered."""
    for service in SERVICES:
        package = importlib.import_module(service)
        for module in pkgutil.walk_packages(package.__path__, f"{service}."):
            if ".migrations" not in module.name:
                importlib.import_module(module.name)


def test_a_key_registered_twice_fails_instead_of_changing_the_first_text() -> None:
    title = MESSAGES["title.payload-too-large"]["en"]
    with pytest.raises(ValueError, match="already registered"):
        add_messages({"title.payload-too-large": {"az": "x", "en": "x", "ru": "x"}})
    assert translate("title.payload-too-large", "en") == title


def test_a_key_without_every_language_is_refused() -> None:
    with pytest.raises(ValueError, match="no text in"):
        add_messages({"detail.only-in-english": {"en": "Only in English"}})
    assert "detail.only-in-english" not in MESSAGES


def test_every_registered_message_speaks_every_language() -> None:
    import_every_module()  # a duplicate key anywhere fails here, at import
    for key, by_language in MESSAGES.items():
        assert set(SUPPORTED_LANGUAGES) <= set(by_language), key
        assert all(by_language[language].strip() for language in SUPPORTED_LANGUAGES), key


def message_literals() -> dict[str, str]:
    """Every string in the services and `shared` that names a message (`detail.*`, `field.*`,
    `title.*`), with where it is: a key used but never registered reaches callers as itself."""
    root = Path(__file__).parent.parent.parent
    found: dict[str, str] = {}
    for path in [*(root / "services").rglob("*.py"), *(root / "shared").rglob("*.py")]:
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            if MESSAGE_KEY.fullmatch(node.value):
                found.setdefault(node.value, f"{path.relative_to(root)}:{node.lineno}")
    return found


def test_every_message_the_code_names_is_registered_in_every_language() -> None:
    import_every_module()
    unregistered = {key: where for key, where in message_literals().items() if key not in MESSAGES}
    assert unregistered == {}
