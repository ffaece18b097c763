"""Password and token hashing."""

from __future__ import annotations

import pytest

from server.security import (
    hash_demo_password,
    hash_password,
    hash_token,
    new_password,
    new_token,
    password_needs_rehash,
    verify_password,
    verify_token,
)


def test_password_verifies_and_wrong_one_does_not() -> None:
    stored = hash_password("Şifrə-2026")
    assert stored.startswith("$argon2id$")
    assert verify_password(stored, "Şifrə-2026")
    assert not verify_password(stored, "şifrə-2026")
    assert not verify_password(stored, "")


@pytest.mark.parametrize("stored", ["", "plain", "$argon2id$v=19$m=8192,t=1,p=1$broken"])
def test_password_check_never_raises_on_a_damaged_hash(stored: str) -> None:
    assert not verify_password(stored, "anything")
    assert password_needs_rehash(stored)


def test_password_hashes_are_salted() -> None:
    assert hash_password("same") != hash_password("same")


def test_demo_password_hash_verifies_but_asks_for_rehash() -> None:
    stored = hash_demo_password("novbe-demo")
    assert verify_password(stored, "novbe-demo")
    assert password_needs_rehash(stored)
    assert not password_needs_rehash(hash_password("novbe-demo"))


def test_new_password_is_random() -> None:
    assert len({new_password() for _ in range(20)}) == 20
    assert len(new_password()) >= 16


def test_token_verifies_and_wrong_one_does_not() -> None:
    token = new_token()
    stored = hash_token(token)
    assert len(stored) == 64
    assert set(stored) <= set("0123456789abcdef")
    assert verify_token(stored, token)
    assert verify_token(stored.upper(), token)
    assert not verify_token(stored, token[:-1])
    assert not verify_token("é" * 64, token)
    assert len(token) >= 43
