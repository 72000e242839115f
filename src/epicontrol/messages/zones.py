"""User-facing text of the zones domain (keys prefixed ``zones.``)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "zones.level.lockdown": {"zh-CN": "封控区", "en": "Lockdown"},
    "zones.level.control": {"zh-CN": "管控区", "en": "Control"},
    "zones.level.prevention": {"zh-CN": "防范区", "en": "Prevention"},
    "zones.level.lifted": {"zh-CN": "已解除", "en": "Lifted"},
    "zones.unit.building": {"zh-CN": "楼栋", "en": "building"},
    "zones.unit.compound": {"zh-CN": "小区", "en": "compound"},
    "zones.unit.community": {"zh-CN": "社区", "en": "community"},
    "zones.col.id": {"zh-CN": "编号", "en": "ID"},
    "zones.col.level": {"zh-CN": "级别", "en": "Level"},
    "zones.col.area": {"zh-CN": "单元", "en": "Unit"},
    "zones.col.since": {"zh-CN": "计时起点", "en": "Clock from"},
    "zones.col.cases": {"zh-CN": "来源病例", "en": "Cases"},
    "zones.col.residents": {"zh-CN": "居民", "en": "Residents"},
    "zones.col.red": {"zh-CN": "红", "en": "Red"},
    "zones.col.yellow": {"zh-CN": "黄", "en": "Yellow"},
    "zones.col.green": {"zh-CN": "绿", "en": "Green"},
    "zones.col.units": {"zh-CN": "单元数", "en": "Units"},
    "zones.col.day": {"zh-CN": "日期", "en": "Day"},
    "zones.col.change": {"zh-CN": "变更", "en": "Change"},
    "zones.col.rule": {"zh-CN": "规则", "en": "Rule"},
    "zones.col.reason": {"zh-CN": "原因", "en": "Reason"},
    "zones.col.zone": {"zh-CN": "区域", "en": "Zone"},
    "zones.opened": {"zh-CN": "划定", "en": "opened"},
    "zones.list.title": {"zh-CN": "三区清单", "en": "Zones"},
    "zones.history.title": {"zh-CN": "三区调整记录", "en": "Zone history"},
    "zones.summary.title": {"zh-CN": "三区汇总", "en": "Zones by level"},
    "zones.progress.delineate": {"zh-CN": "划定三区", "en": "Delineating zones"},
    "zones.progress.evaluate": {"zh-CN": "逐日执行调整规则", "en": "Running the rules day by day"},
    "zones.no_checkins": {
        "zh-CN": "数据湖没有扫码记录：只按病例住址划定（{error}）",
        "en": "No check-ins in the lake: zones drawn from the cases' homes only ({error})",
    },
    "zones.delineate.done": {
        "zh-CN": "已为 {cases} 例病例划定三区（最小单元：{unit}）："
        "封控 {lockdown}、管控 {control}、"
        "防范 {prevention} 个单元；新建 {created}，升级 {escalated}，重新计时 {restarted}；"
        "跳过已划定病例 {skipped} 例",
        "en": "Zones for {cases} cases (unit: {unit}): {lockdown} lockdown, {control} control, "
        "{prevention} prevention units; {created} opened, {escalated} escalated, "
        "{restarted} clocks restarted; {skipped} cases already delineated",
    },
    "zones.delineate.need_cases": {
        "zh-CN": "请用 --case ID（可多次）或 --all 指定病例",
        "en": "give --case ID (repeatable) or --all",
    },
    "zones.evaluate.day": {
        "zh-CN": "{day}：全市新增 {cases} 例，调整 {changes} 处{surge}{frozen}{again}",
        "en": "{day}: {cases} new cases in the city, {changes} changes{surge}{frozen}{again}",
    },
    "zones.evaluate.surge": {"zh-CN": "，触发升级（连续增长）", "en": ", city surge"},
    "zones.evaluate.frozen": {"zh-CN": "，暂停降级", "en": ", downgrades frozen"},
    "zones.evaluate.again": {
        "zh-CN": "（此前已执行，未做更改）",
        "en": " (evaluated before; nothing changed)",
    },
    "zones.evaluate.active": {
        "zh-CN": "当前：封控区 {lockdown}、管控区 {control}、防范区 {prevention} 个单元",
        "en": "Now: {lockdown} lockdown, {control} control, {prevention} prevention units",
    },
    "zones.geojson.written": {
        "zh-CN": "已写入 {n} 个区域：{path}",
        "en": "{n} zones written to {path}",
    },
    "zones.none": {"zh-CN": "没有符合条件的区域", "en": "No zones match"},
    "zones.demo.title": {"zh-CN": "三区划定", "en": "Three zones"},
    "zones.demo.cases": {
        "zh-CN": "根据 {n} 例病例（{ids}）划定，最小单元：{unit}",
        "en": "Drawn around {n} cases ({ids}); smallest unit: {unit}",
    },
    "zones.demo.totals": {
        "zh-CN": "合计 {units} 个单元，居民 {residents:,} 人，"
        "重点人群 红 {red} / 黄 {yellow} / 绿 {green}",
        "en": "{units} units, {residents:,} residents; special population "
        "red {red} / yellow {yellow} / green {green}",
    },
    "zones.demo.lockdown": {"zh-CN": "封控区单元（前 {n} 个）", "en": "Lockdown units (first {n})"},
}
