"""The shared catalog: every error a client can be sent has its text in az, ru and en."""

from __future__ import annotations

import pytest

from server.queue import exceptions
from wire.i18n import LANGS, catalog
from wire.protocol import ErrorCode

QUEUE_ERRORS = sorted(
    (
        cls
        for cls in vars(exceptions).values()
        # The base class is never raised itself: every refusal has a code of its own.
        if isinstance(cls, type)
        and issubclass(cls, exceptions.QueueError)
        and cls is not exceptions.QueueError
    ),
    key=lambda cls: cls.code,
)


def test_wire_catalog_is_complete_in_three_languages() -> None:
    assert catalog("wire").check() == []


@pytest.mark.parametrize("error", QUEUE_ERRORS, ids=lambda cls: cls.code)
def test_every_queue_error_has_a_wire_code(error: type[exceptions.QueueError]) -> None:
    assert ErrorCode(error.code)


@pytest.mark.parametrize("code", list(ErrorCode))
@pytest.mark.parametrize("lang", LANGS)
def test_every_error_code_has_a_text(code: ErrorCode, lang: str) -> None:
    assert f"error.{code.value}" in catalog("wire").texts[lang]
