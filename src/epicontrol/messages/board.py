"""User-facing text of the city board and the daily report (keys prefixed ``board.``)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # KPI labels
    "board.kpi.alert_latency": {"zh-CN": "数据到预警时长", "en": "Data-to-alert latency"},
    "board.kpi.handover": {"zh-CN": "部门间信息交接时长", "en": "Hand-over between departments"},
    "board.kpi.on_time": {"zh-CN": "任务按时完成率", "en": "On-time task rate"},
    "board.kpi.disposal": {"zh-CN": "处置周期", "en": "Disposal cycle"},
    "board.kpi.coverage": {"zh-CN": "核酸检测覆盖率", "en": "Testing coverage"},
    "board.kpi.quarantine": {"zh-CN": "隔离房间使用率", "en": "Quarantine room occupancy"},
    "board.kpi.hospital": {"zh-CN": "普通病床使用率", "en": "Hospital ward occupancy"},
    "board.kpi.icu": {"zh-CN": "ICU 床位使用率", "en": "ICU occupancy"},
    "board.kpi.stock": {"zh-CN": "物资可保障天数", "en": "Stock days of supply"},
    "board.campaign": {
        "zh-CN": "检测任务 {id}（第 {round} 轮）",
        "en": "Campaign {id} (round {round})",
    },
    # statuses
    "board.status.ok": {"zh-CN": "达标", "en": "OK"},
    "board.status.warn": {"zh-CN": "预警", "en": "Warning"},
    "board.status.breach": {"zh-CN": "超标", "en": "Breach"},
    "board.status.no_data": {"zh-CN": "暂无数据", "en": "No data"},
    # reasons
    "board.reason.no_city": {
        "zh-CN": "数据库中还没有城市数据（请先生成或导入城市）",
        "en": "the store holds no city yet (generate or import one)",
    },
    "board.reason.no_alerts": {
        "zh-CN": "截至目前尚未发布预警",
        "en": "no alert has been raised yet",
    },
    "board.reason.no_playbooks": {
        "zh-CN": "尚无病例处置任务（未启动流调处置流程）",
        "en": "no case playbook tasks yet",
    },
    "board.reason.pending": {
        "zh-CN": "{n} 项尚在办理中，均未超过时限",
        "en": "{n} still pending, none past the deadline yet",
    },
    "board.reason.handover.pending_late": {
        "zh-CN": "{n} 个部门接收后超过时限仍未开始办理",
        "en": "{n} department hand-overs past the deadline and not yet acted on",
    },
    "board.reason.disposal.pending_late": {
        "zh-CN": "{n} 例病例的处置任务超过时限仍未全部完成",
        "en": "{n} cases past the deadline with playbook tasks still open",
    },
    "board.reason.alert_latency.pending_late": {
        "zh-CN": "{n} 项超时",
        "en": "{n} late",
    },
    "board.reason.timing": {
        "zh-CN": "中位数 {median:.1f} {unit}（标准 ≤ {target:g} {unit}）；{n} 项中 {late} 项超时",
        "en": "median {median:.1f} {unit} (standard ≤ {target:g} {unit}); {late} of {n} late",
    },
    "board.reason.no_decided_tasks": {
        "zh-CN": "{n} 项任务均未到期且未完成，暂无法计算按时率",
        "en": "none of the {n} tasks is done or overdue yet",
    },
    "board.reason.on_time": {
        "zh-CN": "按时率 {rate:.0%}；未达标部门：{departments}",
        "en": "{rate:.0%} on time; below the standard: {departments}",
    },
    "board.reason.no_campaigns": {
        "zh-CN": "尚未开展全员核酸检测",
        "en": "no mass-testing campaign yet",
    },
    "board.reason.no_campaign_residents": {
        "zh-CN": "检测任务不涉及本范围内居民",
        "en": "no resident of this area is in a campaign",
    },
    "board.reason.coverage.warn": {
        "zh-CN": "{n} 轮检测尚在进行，覆盖率未达 {target:.0%}",
        "en": "{n} rounds still in progress below {target:.0%}",
    },
    "board.reason.coverage.breach": {
        "zh-CN": "{n} 轮检测已到时限，覆盖率未达 {target:.0%}",
        "en": "{n} rounds past their deadline below {target:.0%}",
    },
    "board.reason.no_sites": {
        "zh-CN": "没有登记集中隔离场所",
        "en": "no quarantine site on record",
    },
    "board.reason.no_rooms": {
        "zh-CN": "隔离场所没有登记房间数",
        "en": "the quarantine sites have no rooms on record",
    },
    "board.reason.occupancy": {
        "zh-CN": "使用率 {value:.0%}（警戒线 {target:.0%}）",
        "en": "{value:.0%} occupied (alert at {target:.0%})",
    },
    "board.reason.no_census": {
        "zh-CN": "无法估算在院人数：{error}",
        "en": "no census to estimate: {error}",
    },
    "board.reason.no_beds": {
        "zh-CN": "没有登记医院床位",
        "en": "no hospital beds on record",
    },
    "board.reason.beds": {
        "zh-CN": "全市使用率 {value:.0%}（警戒线 {target:.0%}）；超线区县：{districts}",
        "en": "{value:.0%} city-wide (alert at {target:.0%}); districts over: {districts}",
    },
    "board.reason.no_stock": {
        "zh-CN": "无法读取物资台账：{error}",
        "en": "cannot read the stock ledger: {error}",
    },
    "board.reason.no_stock_rows": {
        "zh-CN": "没有登记物资库存",
        "en": "no stock on record",
    },
    "board.reason.no_burn": {
        "zh-CN": "当前没有物资消耗（无封控居民、病例或一线人员）",
        "en": "nothing burns stock now (no lockdown residents, cases or staff)",
    },
    "board.reason.stock.breach": {
        "zh-CN": "低于报警天数：{items}",
        "en": "below the alarm days: {items}",
    },
    "board.reason.stock.warn": {
        "zh-CN": "低于储备目标天数：{items}",
        "en": "below the target days: {items}",
    },
    "board.reason.rt_days": {
        "zh-CN": "病例序列仅 {days} 天，估算 Rt 至少需要 8 天",
        "en": "the case series has {days} days; Rt needs at least 8",
    },
    "board.reason.rt_cv": {
        "zh-CN": "病例太少（近 7 天 {cases} 例），Rt 后验变异系数均高于 {cv:g}",
        "en": "too few cases ({cases} in the last 7 days): every window's posterior CV "
        "exceeds {cv:g}",
    },
    "board.reason.no_lake": {
        "zh-CN": "未提供数据湖目录",
        "en": "no lake directory given",
    },
    "board.reason.no_signal_day": {
        "zh-CN": "数据湖中没有 {day} 的症候群监测数据",
        "en": "the lake holds no syndromic counts for {day}",
    },
    # public advice per zone level (DESIGN.md §2)
    "board.advice.lockdown": {
        "zh-CN": "封控区：足不出户，人员不出家门，生活物资和就医需求由社区上门服务保障；"
        "按要求配合每日核酸检测。",
        "en": "Lockdown zone: stay at home — nobody leaves their home; the community delivers "
        "supplies and arranges medical needs; take the daily test when asked.",
    },
    "board.advice.control": {
        "zh-CN": "管控区：足不出区，人员不离开本区域，错峰取物；严禁聚集，按要求参加核酸检测。",
        "en": "Control zone: stay in the zone — nobody leaves the area; pick up supplies at "
        "staggered times; no gatherings; take the tests when asked.",
    },
    "board.advice.prevention": {
        "zh-CN": "防范区：强化社会面管控，严格限制人员聚集，减少非必要外出，做好个人防护。",
        "en": "Prevention zone: no gatherings; limit non-essential trips and take personal "
        "precautions while social control is strengthened.",
    },
    # daily report
    "board.report.title": {
        "zh-CN": "{city}疫情防控日报（{day}）",
        "en": "{city} epidemic prevention and control daily report ({day})",
    },
    "board.report.as_of": {"zh-CN": "数据截至", "en": "Data as of"},
    "board.report.generated": {"zh-CN": "生成时间", "en": "Generated"},
    "board.report.kpis": {"zh-CN": "关键指标与标准对照", "en": "Key figures against the standards"},
    "board.report.col.kpi": {"zh-CN": "指标", "en": "Figure"},
    "board.report.col.value": {"zh-CN": "数值", "en": "Value"},
    "board.report.col.standard": {"zh-CN": "标准", "en": "Standard"},
    "board.report.col.status": {"zh-CN": "状态", "en": "Status"},
    "board.report.col.note": {"zh-CN": "说明", "en": "Note"},
    "board.report.cases": {"zh-CN": "新增病例", "en": "New cases"},
    "board.report.cases_week": {"zh-CN": "近 7 天", "en": "Last 7 days"},
    "board.report.cases_total": {"zh-CN": "累计", "en": "Total"},
    "board.report.contacts": {"zh-CN": "流调追踪", "en": "Contacts traced"},
    "board.report.alerts": {"zh-CN": "监测预警", "en": "Alerts"},
    "board.report.alerts_raised": {"zh-CN": "新发预警", "en": "Raised"},
    "board.report.alerts_closed": {"zh-CN": "关闭预警", "en": "Closed"},
    "board.report.alerts_open": {"zh-CN": "未关闭预警", "en": "Open"},
    "board.report.zones": {"zh-CN": "三区划定与调整", "en": "Zones"},
    "board.report.zones_opened": {"zh-CN": "新划定", "en": "Opened"},
    "board.report.zones_changed": {"zh-CN": "调整级别", "en": "Level changed"},
    "board.report.zones_restarted": {"zh-CN": "重新计时", "en": "Clock restarted"},
    "board.report.zones_lifted": {"zh-CN": "解除", "en": "Lifted"},
    "board.report.zones_active": {"zh-CN": "现有三区", "en": "Active zones"},
    "board.report.units": {"zh-CN": "单元数", "en": "Units"},
    "board.report.residents": {"zh-CN": "居民", "en": "Residents"},
    "board.report.tasks": {"zh-CN": "部门任务", "en": "Department tasks"},
    "board.report.tasks_due": {"zh-CN": "今日到期", "en": "Due today"},
    "board.report.tasks_done": {"zh-CN": "今日完成", "en": "Done today"},
    "board.report.tasks_late": {"zh-CN": "其中超时完成", "en": "of which late"},
    "board.report.tasks_overdue": {"zh-CN": "超时未办", "en": "Overdue"},
    "board.report.tasks_open": {"zh-CN": "未完成", "en": "Open"},
    "board.report.quarantine": {"zh-CN": "集中隔离", "en": "Centralised quarantine"},
    "board.report.q_assigned": {"zh-CN": "新分配", "en": "Assigned"},
    "board.report.q_admitted": {"zh-CN": "入住", "en": "Admitted"},
    "board.report.q_released": {"zh-CN": "解除隔离", "en": "Released"},
    "board.report.q_held": {"zh-CN": "在隔离", "en": "In quarantine"},
    "board.report.testing": {"zh-CN": "核酸检测", "en": "Testing"},
    "board.report.no_testing": {
        "zh-CN": "今日无检测轮次开始或出结果",
        "en": "no testing round started or reported results today",
    },
    "board.report.round": {"zh-CN": "轮次", "en": "Round"},
    "board.report.deadline": {"zh-CN": "完成时限", "en": "Deadline"},
    "board.report.sampled": {"zh-CN": "已采样", "en": "Sampled"},
    "board.report.coverage": {"zh-CN": "覆盖率", "en": "Coverage"},
    "board.report.resources": {"zh-CN": "资源保障", "en": "Resources"},
    "board.report.no_alarms": {"zh-CN": "无物资报警", "en": "no stock alarm"},
    "board.report.stock_alarms": {
        "zh-CN": "物资报警 {n} 项（可保障天数低于报警线）",
        "en": "{n} stock alarms (days of supply below the alarm line)",
    },
    "board.report.item": {"zh-CN": "物资", "en": "Item"},
    "board.report.holder": {"zh-CN": "储备点", "en": "Holder"},
    "board.report.days": {"zh-CN": "可保障天数", "en": "Days of supply"},
    "board.report.alarm_days": {"zh-CN": "报警线（天）", "en": "Alarm (days)"},
    "board.report.more": {"zh-CN": "另有 {n} 项未列出（见 JSON）", "en": "{n} more in the JSON"},
    "board.report.curve": {
        "zh-CN": "疫情曲线（每日报告病例）",
        "en": "Epidemic curve (cases per report day)",
    },
    "board.report.rt": {
        "zh-CN": "Rt = {value:.2f}（95% 可信区间 {lower:.2f}–{upper:.2f}，{start} 至 {end}）",
        "en": "Rt = {value:.2f} (95% CrI {lower:.2f}–{upper:.2f}, {start} to {end})",
    },
    "board.report.rt_none": {"zh-CN": "Rt：{reason}", "en": "Rt: {reason}"},
    "board.report.zero": {"zh-CN": "日报告零报告", "en": "Daily reports and zero-reports"},
    "board.report.zero_note": {
        "zh-CN": "所有区县、社区逐一列出；当日无情况的单位标注“零报告”（{districts} 个区县、"
        "{communities} 个社区）。",
        "en": "Every district and community is listed; units with nothing to report are marked "
        "zero-report ({districts} districts, {communities} communities).",
    },
    "board.report.unit": {"zh-CN": "单位", "en": "Unit"},
    "board.report.zero_mark": {"zh-CN": "零报告", "en": "zero report"},
    "board.report.admissions": {"zh-CN": "入住隔离", "en": "Admitted"},
    "board.report.zone_changes": {"zh-CN": "三区变更", "en": "Zone changes"},
    "board.report.pdf_missing": {
        "zh-CN": "未找到 Chromium（{path}）：生成 PDF 需要无头 Chromium"
        "（apt-get install chromium），或使用 --no-pdf",
        "en": "Chromium not found at {path}: the PDF needs headless Chromium "
        "(apt-get install chromium), or use --no-pdf",
    },
    "board.report.written": {"zh-CN": "日报已写入：{files}", "en": "Daily report written: {files}"},
    "board.report.no_cases": {"zh-CN": "尚无病例报告", "en": "no case reported yet"},
    "board.report.progress": {"zh-CN": "生成日报", "en": "Writing the daily report"},
}
