"""The message catalogue: each key registered once, with its text in every language."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

from shared.i18n import MESSAGES, SUPPORTED_LANGUAGES, add_messages, translate

SERVICES = ("intake", "plans", "assets", "monitoring")


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
