from __future__ import annotations

from epicontrol.privacy import mask_id_number, mask_phone


def test_phone_keeps_prefix_and_last_four() -> None:
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("12345") == "***45"
    assert mask_phone(None) is None


def test_id_number_hides_the_birth_date() -> None:
    assert mask_id_number("350101200012299504") == "350101********9504"
    assert "20001229" not in (mask_id_number("350101200012299504") or "")
    assert mask_id_number(None) is None
