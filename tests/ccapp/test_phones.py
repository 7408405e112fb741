"""Numbers written any common way normalize to one E.164 form."""

from __future__ import annotations

import pytest

from ccapp.phones import normalize

CASES = [
    ("+86 138 0013 8000", "+8613800138000", ""),
    ("008613800138000", "+8613800138000", ""),
    ("13800138000", "+8613800138000", ""),
    ("138-0013-8000", "+8613800138000", ""),
    ("010-8888 6666", "+861088886666", ""),
    ("010 88886666 ext 123", "+861088886666", "123"),
    ("(010)88886666转8", "+861088886666", "8"),
    ("+1 650 253 0000", "+16502530000", ""),
]


@pytest.mark.parametrize(("raw", "e164", "extension"), CASES)
def test_it_normalizes(raw, e164, extension):
    number = normalize(raw, "CN")
    assert (number.e164, number.extension, number.valid, number.raw) == (e164, extension, True, raw)


@pytest.mark.parametrize("raw", ["", None, "abc", "4000", "+86 1"])
def test_it_keeps_what_it_cannot_parse_as_invalid(raw):
    number = normalize(raw, "CN")
    assert number.valid is False and number.e164 == ""
    assert number.raw == (raw or "")
