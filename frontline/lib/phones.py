"""Phone numbers, validated and written the one international way (E.164)."""

from __future__ import annotations

import phonenumbers


def normalise_phone(text: str, *, region: str | None = None) -> str:
    """``+442079460958`` for any way of writing a valid number; ValueError otherwise.

    Without a leading ``+`` the number is read as of ``region`` (e.g. "GB"). An
    extension ("ext. 5", "x5") is kept the way a ``tel:`` URI writes it
    (RFC 3966): ``+442079460958;ext=5``; E.164 alone has no room for it.
    """
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(str(exc)) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return f"{e164};ext={number.extension}" if number.extension else e164
