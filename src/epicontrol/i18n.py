"""User-facing text in zh-CN and en.

Every message has both languages; :func:`t` picks one and formats it.  A
missing key is a programming error and raises ``KeyError``.
"""

from __future__ import annotations

from typing import Any

MESSAGES: dict[str, dict[str, str]] = {
    "city": {"zh-CN": "城市", "en": "City"},
    "district": {"zh-CN": "区县", "en": "District"},
    "kind": {"zh-CN": "类型", "en": "Kind"},
    "kind.urban": {"zh-CN": "城区", "en": "urban"},
    "kind.county": {"zh-CN": "县域", "en": "county"},
    "population": {"zh-CN": "常住人口", "en": "Population"},
    "households": {"zh-CN": "户数", "en": "Households"},
    "streets": {"zh-CN": "街道/乡镇", "en": "Streets"},
    "communities": {"zh-CN": "社区/村", "en": "Communities"},
    "buildings": {"zh-CN": "楼栋", "en": "Buildings"},
    "venues": {"zh-CN": "场所", "en": "Venues"},
    "total": {"zh-CN": "合计", "en": "Total"},
    "districts.title": {"zh-CN": "区县概况", "en": "Districts"},
    "venues.title": {"zh-CN": "场所（场所码）按类型", "en": "Venues (venue codes) by type"},
    "facilities.title": {
        "zh-CN": "设施配置与标准对照（每万人）",
        "en": "Facilities against the standards (per 10,000 residents)",
    },
    "measure.quarantine_rooms": {"zh-CN": "隔离房间", "en": "Quarantine rooms"},
    "measure.hospital_beds": {"zh-CN": "病床", "en": "Hospital beds"},
    "measure.icu_beds": {"zh-CN": "ICU 床位", "en": "ICU beds"},
    "standard": {"zh-CN": "标准", "en": "standard"},
    "shortfall": {"zh-CN": "缺口", "en": "shortfall"},
    "ok": {"zh-CN": "达标", "en": "meets"},
    "short.summary": {
        "zh-CN": "{measure}：{n} 个区县低于标准，合计缺口 {gap}",
        "en": "{measure}: {n} districts below the standard, total shortfall {gap}",
    },
    "lake.title": {"zh-CN": "数据湖", "en": "Lake"},
    "lake.checkins": {
        "zh-CN": "场所码扫码记录 {rows:,} 条（{days} 天，人均每天 {per:.2f} 条）",
        "en": "{rows:,} venue check-ins ({days} days, {per:.2f} per person-day)",
    },
    "lake.syndromic": {
        "zh-CN": "症候群监测日计数 {rows:,} 条（发热门诊、药店退热药、学校缺课）",
        "en": "{rows:,} daily syndromic counts (fever clinics, fever-drug sales, school absences)",
    },
    "lake.busiest": {
        "zh-CN": "第 0 天扫码最多的场所类型（DuckDB 查询）",
        "en": "Venue types with the most check-ins on day 0 (DuckDB query)",
    },
    "person.sample": {
        "zh-CN": "居民示例（手机号、身份证号已脱敏）",
        "en": "A resident (phone and ID number masked)",
    },
    "special.title": {
        "zh-CN": "重点人群（红黄绿台账）",
        "en": "Special populations (ledger tiers)",
    },
    "tier.red": {"zh-CN": "红", "en": "red"},
    "tier.yellow": {"zh-CN": "黄", "en": "yellow"},
    "tier.green": {"zh-CN": "绿", "en": "green"},
    "generate.step.areas": {"zh-CN": "生成行政区划与楼栋", "en": "Laying out areas"},
    "generate.step.households": {"zh-CN": "生成住户与人口", "en": "Drawing households"},
    "generate.step.venues": {"zh-CN": "生成场所、学校与单位", "en": "Placing venues"},
    "generate.step.persons": {"zh-CN": "生成居民档案", "en": "Writing person records"},
    "generate.step.activity": {"zh-CN": "建立活动模型", "en": "Building the activity model"},
    "generate.lake": {"zh-CN": "写入扫码与监测数据（按天）", "en": "Writing check-ins (by day)"},
    "generate.db": {"zh-CN": "写入业务数据库", "en": "Writing the database"},
    "generate.done": {
        "zh-CN": "已生成 {persons:,} 人的城市，用时 {seconds:.1f} 秒",
        "en": "Generated a city of {persons:,} persons in {seconds:.1f} s",
    },
    "import.reading": {"zh-CN": "读取并校验导入文件", "en": "Reading and checking the files"},
    "import.writing": {"zh-CN": "写入 {table}", "en": "Writing {table}"},
    "import.done": {
        "zh-CN": "导入完成：{summary}",
        "en": "Import done: {summary}",
    },
    "import.unchanged": {
        "zh-CN": "这批文件已导入过，未做任何更改",
        "en": "These files were imported before; nothing changed",
    },
    "import.rejected": {
        "zh-CN": "导入被拒绝：{n} 行有错误，未写入任何数据",
        "en": "Import rejected: {n} rows have errors; nothing was written",
    },
    "error.exists": {
        "zh-CN": "工作区 {workspace} 已有城市数据；请换一个新的工作区，或加 --replace 覆盖",
        "en": "Workspace {workspace} already holds a city; use a fresh one or --replace",
    },
    "error.no_city": {
        "zh-CN": "工作区 {workspace} 还没有城市：先运行 epicontrol city generate",
        "en": "Workspace {workspace} holds no city yet: run epicontrol city generate",
    },
    "db.at": {
        "zh-CN": "数据库版本：{revision}（最新 {head}）",
        "en": "Schema at {revision} (head {head})",
    },
    "demo.title": {
        "zh-CN": "epicontrol 演示：{name}（{persons:,} 人）",
        "en": "epicontrol demo: {name} ({persons:,} persons)",
    },
}


def t(key: str, lang: str, **kwargs: Any) -> str:
    """The message ``key`` in ``lang`` (``zh-CN`` or ``en``), formatted with ``kwargs``."""
    entry = MESSAGES[key]
    text = entry["en"] if lang == "en" else entry["zh-CN"]
    return text.format(**kwargs) if kwargs else text
