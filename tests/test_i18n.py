from __future__ import annotations

import re

import pytest

from epicontrol.i18n import MESSAGES, t


def test_every_message_has_both_languages_with_the_same_fields() -> None:
    for key, entry in MESSAGES.items():
        assert set(entry) == {"zh-CN", "en"}, key
        fields = [set(re.findall(r"{(\w+)", entry[lang])) for lang in ("zh-CN", "en")]
        assert fields[0] == fields[1], key


def test_t_formats_and_picks_the_language() -> None:
    assert t("import.rejected", "en", n=3).startswith("Import rejected: 3 rows")
    assert t("import.rejected", "zh-CN", n=3).startswith("导入被拒绝：3 行")
    with pytest.raises(KeyError):
        t("no.such.key", "en")
