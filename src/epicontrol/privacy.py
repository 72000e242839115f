"""Masking of personal data (phones, ID numbers) for roles that may not see it."""

from __future__ import annotations


def mask_phone(phone: str | None) -> str | None:
    """``13812345678`` → ``138****5678``; short values keep only their last 2 characters."""
    if phone is None:
        return None
    if len(phone) >= 11:
        return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]
    return "*" * max(len(phone) - 2, 0) + phone[-2:]


def mask_id_number(id_number: str | None) -> str | None:
    """Resident ID: keep the 6-digit region and the last 4 characters, hide the birth date."""
    if id_number is None:
        return None
    if len(id_number) >= 15:
        return id_number[:6] + "*" * (len(id_number) - 10) + id_number[-4:]
    return "*" * max(len(id_number) - 2, 0) + id_number[-2:]
