"""A cursor opens only with the key that sealed it and for the binding it was sealed for."""

import pytest

from halotap.domain.cursors import seal, unseal
from halotap.domain.errors import InvalidCursor

KEY = b"k" * 32
POSITION = {"id": "chk_1", "createdAt": "2026-11-27T12:00:00.000Z"}


def test_a_cursor_opens_to_the_position_it_sealed():
    assert unseal(KEY, "client-a|m1", seal(KEY, "client-a|m1", POSITION)) == POSITION


@pytest.mark.parametrize(
    ("key", "binding"),
    [(KEY, "client-b|m1"), (KEY, "client-a|m2"), (b"x" * 32, "client-a|m1")],
    ids=["another client", "another query", "another key"],
)
def test_a_cursor_for_another_binding_or_key_is_invalid(key, binding):
    with pytest.raises(InvalidCursor):
        unseal(key, binding, seal(KEY, "client-a|m1", POSITION))


@pytest.mark.parametrize("cursor", ["", "!!!", "abc", "A" * 40])
def test_garbage_is_invalid_not_an_error(cursor):
    with pytest.raises(InvalidCursor):
        unseal(KEY, "client-a|m1", cursor)


def test_every_altered_character_is_detected():
    cursor = seal(KEY, "b", POSITION)
    for index in range(len(cursor)):
        altered = cursor[:index] + ("A" if cursor[index] != "A" else "B") + cursor[index + 1 :]
        with pytest.raises(InvalidCursor):
            unseal(KEY, "b", altered)
