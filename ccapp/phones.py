"""Phone-number normalization to E.164, shared by the telephony core and the CRM."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from django.conf import settings

_EXTENSION = re.compile(r"(?:ext\.?|x|转|分机|#|,|;)\s*(\d{1,8})\s*$", re.IGNORECASE)
_KEEP = re.compile(r"[^\d+]")


@dataclass(frozen=True)
class Number:
    """A parsed number: E.164 when valid, the original text always."""

    raw: str
    e164: str
    extension: str
    valid: bool


def normalize(raw: str | None, region: str | None = None) -> Number:
    """Parse any common way of writing a number (+86, 0086, leading 0, spaces, extensions)."""
    text = (raw or "").strip()
    region = (region or settings.PHONENUMBER_DEFAULT_REGION).upper()
    extension = ""
    match = _EXTENSION.search(text)
    if match:
        extension = match.group(1)
        text = text[: match.start()]
    digits = _KEEP.sub("", text)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if not digits.strip("+"):
        return Number(raw or "", "", extension, False)
    try:
        parsed = phonenumbers.parse(digits, None if digits.startswith("+") else region)
    except phonenumbers.NumberParseException:
        return Number(raw or "", "", extension, False)
    if not phonenumbers.is_valid_number(parsed):
        return Number(raw or "", "", extension, False)
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return Number(raw or "", e164, extension or (parsed.extension or ""), True)


def to_e164(raw: str | None, region: str | None = None) -> str:
    """The E.164 form of a number, or '' when it is not a valid number."""
    return normalize(raw, region).e164
