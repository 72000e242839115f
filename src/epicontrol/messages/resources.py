"""User-facing text of the resources domain (keys prefixed ``resources.``)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "resources.level.general": {"zh-CN": "普通床位", "en": "Ward beds"},
    "resources.level.icu": {"zh-CN": "ICU 床位", "en": "ICU beds"},
    "resources.level.ventilated": {"zh-CN": "呼吸机", "en": "Ventilators"},
    "resources.tier.city": {"zh-CN": "市级", "en": "city"},
    "resources.tier.district": {"zh-CN": "区级", "en": "district"},
    "resources.tier.community": {"zh-CN": "社区", "en": "community"},
    "resources.loading": {
        "zh-CN": "读取病例、设施和库存…",
        "en": "Reading cases, facilities and stock…",
    },
    "resources.forecast.title": {
        "zh-CN": "医疗资源预测：{alert:.0%} 床位使用率预警",
        "en": "Capacity forecast: {alert:.0%} occupancy alert",
    },
    "resources.forecast.basis": {
        "zh-CN": "病例 {start} 至 {last}（{observed:g} 例）；"
        "预测至 {end}（{projected:.1f} 例，{how}）",
        "en": "Cases {start} to {last} ({observed:g}); projected to {end} ({projected:.1f}, {how})",
    },
    "resources.forecast.fitted": {
        "zh-CN": "指数增长拟合，倍增时间 {dt:.1f} 天",
        "en": "exponential growth fitted, doubling time {dt:.1f} days",
    },
    "resources.forecast.given": {
        "zh-CN": "指数增长，给定倍增时间 {dt:.1f} 天",
        "en": "exponential growth, doubling time {dt:.1f} days given",
    },
    "resources.forecast.flat": {"zh-CN": "病例持平", "en": "flat cases"},
    "resources.forecast.external": {"zh-CN": "外部预测", "en": "external projection"},
    "resources.forecast.col.capacity": {"zh-CN": "{level}（容量）", "en": "{level} (capacity)"},
    "resources.forecast.col.peak": {"zh-CN": "峰值", "en": "peak"},
    "resources.forecast.col.alert": {"zh-CN": "首次达预警", "en": "first alert"},
    "resources.forecast.none": {"zh-CN": "未达预警", "en": "no alert"},
    "resources.forecast.unknown": {"zh-CN": "容量未登记", "en": "capacity not recorded"},
    "resources.forecast.first": {
        "zh-CN": "{level}：最早 {district} 于 {day} 达到 {alert:.0%}",
        "en": "{level}: {district} first reaches {alert:.0%} on {day}",
    },
    "resources.forecast.first.none": {
        "zh-CN": "{level}：预测期内各区县均未达到 {alert:.0%}",
        "en": "{level}: no district reaches {alert:.0%} within the horizon",
    },
    "resources.stock.title": {"zh-CN": "物资储备（{on}）", "en": "Stockpiles ({on})"},
    "resources.stock.basis": {
        "zh-CN": "保障对象：封控区居民 {residents} 人（来源：{source}），"
        "在治病例 {cases} 例，在册工作人员 {staff} 人",
        "en": "Supplied: {residents} residents of lockdown zones (from {source}), "
        "{cases} active cases, {staff} staff on record",
    },
    "resources.source.zones": {"zh-CN": "三区", "en": "the zones"},
    "resources.source.explicit": {"zh-CN": "输入", "en": "input"},
    "resources.source.none": {"zh-CN": "无", "en": "none"},
    "resources.stock.col.level": {"zh-CN": "层级", "en": "Level"},
    "resources.stock.col.area": {"zh-CN": "区域", "en": "Area"},
    "resources.stock.col.item": {"zh-CN": "物资", "en": "Item"},
    "resources.stock.col.stock": {"zh-CN": "库存", "en": "Stock"},
    "resources.stock.col.burn": {"zh-CN": "日消耗", "en": "Per day"},
    "resources.stock.col.days": {"zh-CN": "可用天数", "en": "Days"},
    "resources.stock.col.standard": {"zh-CN": "标准", "en": "Standard"},
    "resources.stock.col.reorder": {"zh-CN": "补货量", "en": "Reorder"},
    "resources.stock.alarm": {"zh-CN": "低于标准", "en": "below standard"},
    "resources.stock.alarms": {
        "zh-CN": "{n} 项低于储备标准（N95 90 天、医疗物资 30 天、生活物资 15 天）",
        "en": "{n} holdings below the standard (N95 90 days, medical 30 days, living 15 days)",
    },
    "resources.stock.reorder.title": {
        "zh-CN": "补货计划（补足至目标天数）",
        "en": "Reorder plan (up to the target days)",
    },
    "resources.stock.recorded": {
        "zh-CN": "已记录 {recorded} 笔出入库，重复 {duplicates} 笔（{source}）",
        "en": "Recorded {recorded} movement(s), {duplicates} duplicate(s) ({source})",
    },
    "resources.stock.balance": {
        "zh-CN": "{area} {item}：{kind} {quantity:g}，结存 {balance:g}",
        "en": "{area} {item}: {kind} {quantity:g}, balance {balance:g}",
    },
    "resources.kind.receipt": {"zh-CN": "入库", "en": "receipt"},
    "resources.kind.issue": {"zh-CN": "出库", "en": "issue"},
    "resources.rejected": {"zh-CN": "{message}", "en": "{message}"},
    "resources.staff.title": {
        "zh-CN": "人员配置与标准对照（{on}）",
        "en": "Staffing against the standards ({on})",
    },
    "resources.staff.imported": {
        "zh-CN": "人员表 {source}：{rows} 行，更新 {changed} 行，未变 {unchanged} 行",
        "en": "Staff table {source}: {rows} rows, {changed} changed, {unchanged} unchanged",
    },
    "resources.staff.col.role": {"zh-CN": "岗位", "en": "Role"},
    "resources.staff.col.required": {"zh-CN": "应配", "en": "Required"},
    "resources.staff.col.on_record": {"zh-CN": "在册", "en": "On record"},
    "resources.staff.col.shortfall": {"zh-CN": "缺口", "en": "Shortfall"},
    "resources.staff.col.districts": {"zh-CN": "缺口区县", "en": "Districts short"},
    "resources.role.tracer": {"zh-CN": "流调人员", "en": "Tracers"},
    "resources.role.sampler": {"zh-CN": "采样人员", "en": "Samplers"},
    "resources.role.lab": {"zh-CN": "检测人员", "en": "Lab staff"},
    "resources.role.community_worker": {"zh-CN": "社区工作者", "en": "Community workers"},
    "resources.role.quarantine_staff": {"zh-CN": "隔离点工作人员", "en": "Quarantine staff"},
    "resources.role.ambulance": {"zh-CN": "救护车", "en": "Ambulances"},
    "resources.role.ambulance_np": {"zh-CN": "负压救护车", "en": "Negative-pressure ambulances"},
    "resources.demo.title": {"zh-CN": "资源保障", "en": "Resources"},
    "resources.demo.seeded": {
        "zh-CN": "演示库存按标准确定性生成（区级按 1% 居民封控的计划量储足目标天数），"
        "其中 {short} 个区县故意只储 40%（{districts}）；"
        "人员表按平时标准生成，缺口即封控和隔离带来的增量",
        "en": "Demo stock seeded deterministically from the standards (district hubs hold "
        "the target days for 1 % of residents in lockdown), {short} districts deliberately "
        "at 40 % ({districts}); staff on record seeded at the normal-times standards, so "
        "the shortfall is the surge from the zones and quarantine",
    },
    "resources.demo.assumed": {
        "zh-CN": "病例太少，无法拟合增长：假设倍增时间 {dt:.1f} 天",
        "en": "Too few cases to fit the growth: doubling time {dt:.1f} days assumed",
    },
    "resources.demo.key_items": {
        "zh-CN": "重点物资可用天数（区级）",
        "en": "Days of supply of key items (districts)",
    },
    "resources.demo.min_days": {"zh-CN": "最少天数", "en": "Fewest days"},
    "resources.demo.short_districts": {"zh-CN": "低于标准的区县", "en": "Districts below standard"},
    "resources.demo.staff_short": {"zh-CN": "人员缺口", "en": "Staffing shortfall"},
    "resources.demo.no_zones": {
        "zh-CN": "尚无封控区：生活物资按零消耗计",
        "en": "No lockdown zones yet: living supplies are not being burnt",
    },
}
