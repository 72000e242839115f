"""User-facing text in zh-CN and en.

Every message has both languages; :func:`t` picks one and formats it.  A
missing key is a programming error and raises ``KeyError``.
"""

from __future__ import annotations

from typing import Any

from .messages import DOMAIN_MESSAGES

_BASE: dict[str, dict[str, str]] = {
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
    "demo.surveillance": {"zh-CN": "监测预警演示", "en": "Early-warning drill"},
    "demo.alert.signals": {"zh-CN": "异常信号", "en": "Signals"},
    "demo.alert.recipients": {"zh-CN": "接收单位", "en": "Recipients"},
    "demo.alert.message": {"zh-CN": "预警信息", "en": "Message"},
    "demo.alert.latency": {"zh-CN": "数据到达至预警", "en": "Data to alert"},
    "demo.tracing": {
        "zh-CN": "流调演示：确诊病例的密接、次密接、一般接触者与赋码",
        "en": "Tracing drill: close, secondary and general contacts and yellow codes of cases",
    },
    "demo.tracing.case": {"zh-CN": "病例（人员、职业）", "en": "Case (person, occupation)"},
    "demo.tracing.close": {"zh-CN": "密接", "en": "Close"},
    "demo.tracing.secondary": {"zh-CN": "次密接", "en": "Secondary"},
    "demo.tracing.general": {"zh-CN": "一般接触者", "en": "General"},
    "demo.tracing.yellow_code": {"zh-CN": "赋黄码", "en": "Yellow code"},
    "demo.tracing.relations": {"zh-CN": "按关系", "en": "By relation"},
    "demo.title": {
        "zh-CN": "epicontrol 演示：{name}（{persons:,} 人）",
        "en": "epicontrol demo: {name} ({persons:,} persons)",
    },
    # tracing
    "tracing.status.confirmed": {"zh-CN": "确诊", "en": "Confirmed"},
    "tracing.status.suspected": {"zh-CN": "疑似", "en": "Suspected"},
    "tracing.status.asymptomatic": {"zh-CN": "无症状感染者", "en": "Asymptomatic"},
    "tracing.sex.F": {"zh-CN": "女", "en": "female"},
    "tracing.sex.M": {"zh-CN": "男", "en": "male"},
    "tracing.anchor.onset": {"zh-CN": "发病时间", "en": "Symptom onset"},
    "tracing.anchor.sample": {"zh-CN": "采样时间", "en": "Sampled"},
    "tracing.category.close": {"zh-CN": "密接", "en": "Close contacts"},
    "tracing.category.secondary": {"zh-CN": "次密接", "en": "Secondary contacts"},
    "tracing.category.general": {"zh-CN": "一般接触者", "en": "General contacts"},
    "tracing.category.yellow_code": {"zh-CN": "黄码人员", "en": "Yellow code"},
    "tracing.relation.household": {"zh-CN": "同住", "en": "household"},
    "tracing.relation.meal": {"zh-CN": "同餐", "en": "same meal"},
    "tracing.relation.travel": {"zh-CN": "同行", "en": "travelled together"},
    "tracing.relation.colleague": {"zh-CN": "同事", "en": "colleague"},
    "tracing.relation.classmate": {"zh-CN": "同学", "en": "classmate"},
    "tracing.relation.vehicle": {"zh-CN": "同乘", "en": "same vehicle"},
    "tracing.relation.companion": {"zh-CN": "同伴", "en": "companion"},
    "tracing.relation.tour": {"zh-CN": "同游", "en": "same tour"},
    "tracing.relation.worksite": {"zh-CN": "同工", "en": "same work site"},
    "tracing.relation.toilet": {"zh-CN": "同厕", "en": "shared toilet"},
    "tracing.relation.venue": {"zh-CN": "同场所", "en": "same venue"},
    "tracing.detail": {"zh-CN": "{relation} {n} 人", "en": "{n} {relation}"},
    "tracing.none": {"zh-CN": "无", "en": "none"},
    "tracing.summary.case": {
        "zh-CN": "{status}病例 {case_id}，{sex}，{age} 岁，现住{district}{community}。"
        "{anchor_label}{anchor}，感染期按 {start} 至 {end} 计。",
        "en": "{status} case {case_id}: {sex}, aged {age}, living in {community}, {district}. "
        "{anchor_label} {anchor}; infectious window {start} to {end}.",
    },
    "tracing.summary.visits": {
        "zh-CN": "感染期内扫码 {visits} 次，涉及 {venues} 个场所，"
        "停留最久的是{venue}（{minutes} 分钟）。",
        "en": "In the window the case checked in {visits} times at {venues} venues; "
        "the longest stay was at {venue} ({minutes} min).",
    },
    "tracing.summary.no_visits": {
        "zh-CN": "感染期内没有扫码记录。",
        "en": "The case has no check-ins in the infectious window.",
    },
    "tracing.summary.contacts": {
        "zh-CN": "判定密接 {close} 人（{detail}），次密接 {secondary} 人，"
        "一般接触者 {general} 人，赋黄码 {yellow} 人。",
        "en": "Tracing found {close} close contacts ({detail}), {secondary} secondary "
        "contacts, {general} general contacts and {yellow} yellow-code persons.",
    },
    "tracing.summary.routing": {
        "zh-CN": "接触者分布在 {communities} 个社区，由所在社区网格员上门管控；"
        "其中 {elsewhere} 人户籍在外地，列入区域协查名单。",
        "en": "Contacts live in {communities} communities, whose grid workers visit them; "
        "{elsewhere} are registered in other cities and go on regional-assistance lists.",
    },
    "tracing.summary.deadline": {
        "zh-CN": "按 1+4+6+24 要求：{core} 前完成核心信息，{transfer} 前完成密接和次密接"
        "转运隔离，{screen} 前完成重点人群排查。",
        "en": "Under the 1+4+6+24 playbook: core information by {core}, close and secondary "
        "contacts transferred by {transfer}, key populations screened by {screen}.",
    },
    "tracing.report.title": {
        "zh-CN": "病例 {case_id} 流调报告",
        "en": "Case {case_id}: tracing report",
    },
    "tracing.report.generated": {"zh-CN": "生成于", "en": "generated"},
    "tracing.report.investigation": {"zh-CN": "流调", "en": "investigation"},
    "tracing.report.summary": {"zh-CN": "一报告：流调报告", "en": "Report"},
    "tracing.report.person": {"zh-CN": "病例", "en": "Case"},
    "tracing.report.home": {"zh-CN": "住址", "en": "Home"},
    "tracing.report.phone": {"zh-CN": "手机号", "en": "Phone"},
    "tracing.report.id_number": {"zh-CN": "身份证号", "en": "ID number"},
    "tracing.report.isolated": {"zh-CN": "隔离时间", "en": "Isolated"},
    "tracing.report.reported": {"zh-CN": "报告时间", "en": "Reported"},
    "tracing.report.window": {"zh-CN": "感染期", "en": "Infectious window"},
    "tracing.report.figure": {"zh-CN": "一图：活动轨迹与地图", "en": "Map and timeline"},
    "tracing.report.map": {
        "zh-CN": "到访场所与接触者居住社区",
        "en": "Venues and the contacts' home communities",
    },
    "tracing.report.legend.visited": {"zh-CN": "病例到访场所", "en": "visited by the case"},
    "tracing.report.legend.exposure": {"zh-CN": "次密接暴露场所", "en": "other exposure venue"},
    "tracing.report.legend.homes": {"zh-CN": "接触者居住社区", "en": "contacts' communities"},
    "tracing.report.timeline": {"zh-CN": "活动轨迹（扫码记录）", "en": "Timeline (check-ins)"},
    "tracing.report.per_day": {
        "zh-CN": "接触者按首次暴露日期",
        "en": "Contacts by day of first exposure",
    },
    "tracing.report.by_relation": {"zh-CN": "按接触方式", "en": "By relation"},
    "tracing.report.table": {"zh-CN": "一表：接触者名单", "en": "Contact table"},
    "tracing.report.col.time": {"zh-CN": "时间", "en": "Time"},
    "tracing.report.col.venue": {"zh-CN": "场所", "en": "Venue"},
    "tracing.report.col.minutes": {"zh-CN": "停留（分钟）", "en": "Minutes"},
    "tracing.report.col.contacts": {"zh-CN": "接触者", "en": "Contacts"},
    "tracing.report.col.relation": {"zh-CN": "接触方式", "en": "Relation"},
    "tracing.report.col.person": {"zh-CN": "人员", "en": "Person"},
    "tracing.report.col.first": {"zh-CN": "首次暴露", "en": "First exposure"},
    "tracing.report.col.last": {"zh-CN": "末次暴露", "en": "Last exposure"},
    "tracing.report.col.overlap": {"zh-CN": "重叠（分钟）", "en": "Overlap (min)"},
    "tracing.report.col.via": {"zh-CN": "经由密接", "en": "Via close contact"},
    "tracing.report.col.priority": {"zh-CN": "优先级", "en": "Priority"},
    "tracing.report.registered": {"zh-CN": "户籍 {city}", "en": "registered in {city}"},
    "tracing.report.more": {
        "zh-CN": "另有 {n} 人未列出，完整名单见 JSON 文件",
        "en": "{n} more not shown; the JSON file has the full list",
    },
    "tracing.report.rules": {"zh-CN": "判定规则", "en": "Rules"},
    "tracing.report.index": {"zh-CN": "扫码索引版本", "en": "check-in index"},
    "tracing.report.written": {
        "zh-CN": "流调报告已写入：{html}（JSON：{json}）",
        "en": "Report written: {html} (JSON: {json})",
    },
    "tracing.index.load": {
        "zh-CN": "载入扫码索引与登记信息",
        "en": "Loading the check-in index and registries",
    },
    "tracing.index.build": {"zh-CN": "建立扫码时空索引", "en": "Indexing check-ins"},
    "tracing.checkins.bad": {
        "zh-CN": "扫码数据有误：{total} 条记录违反规则，未建立索引",
        "en": "Bad check-ins: {total} rows break a rule; no index was built",
    },
    "tracing.case.done": {
        "zh-CN": "病例 {case_id}（人员 {person_id}）：密接 {close}，次密接 {secondary}，"
        "一般接触者 {general}，黄码 {yellow}",
        "en": "Case {case_id} (person {person_id}): {close} close, {secondary} secondary, "
        "{general} general, {yellow} yellow code",
    },
    "tracing.case.window": {
        "zh-CN": "感染期 {start} 至 {end}",
        "en": "Infectious window {start} to {end}",
    },
    "tracing.run.progress": {"zh-CN": "流调 {n} 例", "en": "Tracing {n} cases"},
    "tracing.run.rejected": {
        "zh-CN": "病例文件被拒绝：{n} 处错误，未写入任何数据",
        "en": "Case file rejected: {n} errors; nothing was written",
    },
    "tracing.run.failed": {
        "zh-CN": "第 {line} 行病例写入失败：{error}；之前的病例已保存，可安全重跑",
        "en": "Writing the case on line {line} failed: {error}; earlier cases are saved, "
        "re-running is safe",
    },
    "tracing.run.distinct": {
        "zh-CN": "去重后：密接 {close}，次密接 {secondary}，一般接触者 {general}，黄码 {yellow}，"
        "共 {persons} 人",
        "en": "Distinct persons: {close} close, {secondary} secondary, {general} general, "
        "{yellow} yellow code; {persons} in all",
    },
    "tracing.run.done": {
        "zh-CN": "已完成 {n} 例流调，用时 {seconds:.1f} 秒",
        "en": "Traced {n} cases in {seconds:.1f} s",
    },
    "tracing.assist.written": {
        "zh-CN": "协查名单 {destination}：{rows} 人 → {path}",
        "en": "Assistance list for {destination}: {rows} persons → {path}",
    },
    "tracing.assist.none": {"zh-CN": "没有需要发出的协查名单", "en": "No assistance lists to send"},
    "tracing.assist.rejected": {
        "zh-CN": "协查名单被拒绝：{n} 处错误，未做任何记录",
        "en": "Assistance list rejected: {n} errors; nothing was recorded",
    },
    "tracing.assist.matched": {
        "zh-CN": "共 {rows} 行：匹配 {matched}，多人匹配 {ambiguous}，未匹配 {unmatched}",
        "en": "{rows} rows: {matched} matched, {ambiguous} ambiguous, {unmatched} unmatched",
    },
    "tracing.assist.before": {"zh-CN": "（这份名单此前已接收）", "en": " (received before)"},
    "tracing.assist.status.matched": {"zh-CN": "已匹配", "en": "matched"},
    "tracing.assist.status.ambiguous": {"zh-CN": "多人匹配", "en": "ambiguous"},
    "tracing.assist.status.unmatched": {"zh-CN": "未匹配", "en": "unmatched"},
    # surveillance
    "surveil.sep": {"zh-CN": "、", "en": ", "},
    "surveil.level.blue": {"zh-CN": "蓝色", "en": "Blue"},
    "surveil.level.yellow": {"zh-CN": "黄色", "en": "Yellow"},
    "surveil.level.orange": {"zh-CN": "橙色", "en": "Orange"},
    "surveil.level.red": {"zh-CN": "红色", "en": "Red"},
    "surveil.signal.fever_clinic": {"zh-CN": "发热门诊就诊", "en": "fever-clinic visits"},
    "surveil.signal.pharmacy_fever_drug": {
        "zh-CN": "药店退热药销售",
        "en": "pharmacy fever-drug sales",
    },
    "surveil.signal.school_absence": {"zh-CN": "学校缺课", "en": "school absences"},
    "surveil.signal.lab_positive": {"zh-CN": "实验室检测阳性", "en": "laboratory positives"},
    "surveil.status.raised": {"zh-CN": "已发出", "en": "raised"},
    "surveil.status.acknowledged": {"zh-CN": "已签收", "en": "acknowledged"},
    "surveil.status.investigating": {"zh-CN": "核查中", "en": "investigating"},
    "surveil.status.closed": {"zh-CN": "已关闭", "en": "closed"},
    "surveil.detail.alarm": {
        "zh-CN": "{signal} {count}（预期上限 {bound}）",
        "en": "{signal} {count} (expected at most {bound})",
    },
    "surveil.detail.lab": {"zh-CN": "{signal} {count} 例", "en": "{signal}: {count}"},
    "surveil.message": {
        "zh-CN": "【{level}预警】{area}：{details}，监测异常（{date}）。"
        "请{recipients}立即核查处置。",
        "en": "[{level} alert] {area}: aberrant {details} on {date}. "
        "For {recipients} to verify and respond now.",
    },
    "surveil.no_file": {"zh-CN": "{path}：文件不存在", "en": "{path}: no such file"},
    "surveil.ingest.reading": {
        "zh-CN": "读取并校验监测数据",
        "en": "Reading and checking the feed",
    },
    "surveil.ingest.writing": {"zh-CN": "写入数据湖", "en": "Writing to the lake"},
    "surveil.ingest.evaluating": {
        "zh-CN": "重新计算受影响的监测序列",
        "en": "Re-evaluating the affected series",
    },
    "surveil.ingest.alerting": {"zh-CN": "生成并推送预警", "en": "Raising and routing alerts"},
    "surveil.ingest.rejected": {
        "zh-CN": "监测数据被拒绝：{n} 处错误，未写入任何数据",
        "en": "Feed rejected: {n} errors; nothing was written",
    },
    "surveil.ingest.unchanged": {
        "zh-CN": "这批数据（{batch}）已接收过，未做任何更改",
        "en": "This batch ({batch}) was ingested before; nothing changed",
    },
    "surveil.ingest.done": {
        "zh-CN": "已接收 {rows:,} 行，计算 {series:,} 条序列；新发预警 {raised}，更新 {updated}"
        "（{seconds:.2f} 秒）",
        "en": "Ingested {rows:,} rows, evaluated {series:,} series; {raised} alerts raised, "
        "{updated} updated ({seconds:.2f} s)",
    },
    "surveil.detect.rejected": {
        "zh-CN": "输入文件有 {n} 处错误",
        "en": "The input file has {n} errors",
    },
    "surveil.detect.running": {"zh-CN": "运行 {detector}", "en": "Running {detector}"},
    "surveil.detect.title": {"zh-CN": "{detector} 检测结果", "en": "{detector} results"},
    "surveil.detect.summary": {
        "zh-CN": "可评估 {rows:,} 个时间点，其中报警 {alarms:,} 个",
        "en": "{rows:,} steps evaluated, {alarms:,} alarms",
    },
    "surveil.evaluate.running": {"zh-CN": "模拟评估", "en": "Evaluating"},
    "surveil.evaluate.title": {
        "zh-CN": "预警算法评估（{n} 个基线情景，每情景每规模 {r} 条序列）",
        "en": "Detector evaluation ({n} baseline scenarios, {r} series per scenario and size)",
    },
    "surveil.evaluate.note": {
        "zh-CN": "检出率、灵敏度、特异度按情景平均；延迟为检出疫情的中位天数；"
        "用时 {seconds:.1f} 秒",
        "en": "POD, sensitivity and specificity averaged over scenarios; delay = median days "
        "to detection; {seconds:.1f} s",
    },
    "surveil.col.detector": {"zh-CN": "算法", "en": "Detector"},
    "surveil.col.frequency": {"zh-CN": "频率", "en": "Frequency"},
    "surveil.col.pod": {"zh-CN": "检出率", "en": "POD"},
    "surveil.col.fpr": {"zh-CN": "假阳性率", "en": "FPR"},
    "surveil.col.nominal": {"zh-CN": "名义水平", "en": "Nominal"},
    "surveil.col.sensitivity": {"zh-CN": "灵敏度", "en": "Sensitivity"},
    "surveil.col.specificity": {"zh-CN": "特异度", "en": "Specificity"},
    "surveil.col.delay": {"zh-CN": "延迟（天）", "en": "Delay (days)"},
    "surveil.col.id": {"zh-CN": "编号", "en": "ID"},
    "surveil.col.level": {"zh-CN": "级别", "en": "Level"},
    "surveil.col.status": {"zh-CN": "状态", "en": "Status"},
    "surveil.col.outcome": {"zh-CN": "结论", "en": "Outcome"},
    "surveil.col.area": {"zh-CN": "社区", "en": "Community"},
    "surveil.col.signals": {"zh-CN": "异常信号", "en": "Signals"},
    "surveil.col.date": {"zh-CN": "日期", "en": "Date"},
    "surveil.col.latency": {"zh-CN": "时效", "en": "Latency"},
    "surveil.col.recipients": {"zh-CN": "推送对象", "en": "Recipients"},
    "surveil.col.message": {"zh-CN": "预警信息", "en": "Message"},
    "surveil.alerts.title": {"zh-CN": "预警列表", "en": "Alerts"},
    "surveil.latency": {
        "zh-CN": "数据到达至预警发出 {seconds} 秒（{ok}）",
        "en": "{seconds} s from data arrival to alert ({ok})",
    },
    "surveil.ok": {"zh-CN": "符合 1 小时标准", "en": "within the 1-hour standard"},
    "surveil.late": {"zh-CN": "超过时限", "en": "later than the standard"},
    "surveil.alert.moved": {
        "zh-CN": "预警 {id} 状态：{status}（版本 {version}）",
        "en": "Alert {id} is now {status} (version {version})",
    },
    "surveil.demo.injected": {
        "zh-CN": "在{community}的发热门诊和药店退热药数据中注入疫情（{date}）",
        "en": "Outbreak injected into {community}'s fever-clinic and pharmacy series ({date})",
    },
    "surveil.demo.alert": {
        "zh-CN": "{level}预警已发出，数据到达至预警 {seconds:.2f} 秒",
        "en": "{level} alert raised {seconds:.2f} s after the data arrived",
    },
    "tracing.chains.summary": {
        "zh-CN": "传播链：{cases} 例病例，{edges} 条关联，{clusters} 个聚集（最大 {largest} 例），"
        "最多 {generations} 代",
        "en": "Transmission chains: {cases} cases, {edges} links, {clusters} clusters "
        "(largest {largest}), up to {generations} generations",
    },
    "tracing.chains.cluster": {"zh-CN": "聚集", "en": "Cluster"},
    "tracing.chains.size": {"zh-CN": "病例数", "en": "Cases"},
    "tracing.chains.cases": {"zh-CN": "病例编号", "en": "Case ids"},
    "tracing.chains.written": {
        "zh-CN": "传播链已写入 {json} 和 {graphml}",
        "en": "Transmission graph written to {json} and {graphml}",
    },
    "tracing.tasks.opened": {
        "zh-CN": "已按 {playbook} 预案生成处置任务 {n} 项（新增 {new} 项），"
        "见 epicontrol tasks list",
        "en": "{n} deadline tasks of the {playbook} playbook ({new} new); "
        "see epicontrol tasks list",
    },
    "tracing.run.tasks": {
        "zh-CN": "确诊病例按 {playbook} 预案生成处置任务 {n} 项",
        "en": "{n} deadline tasks opened for the confirmed cases ({playbook} playbook)",
    },
}

#: Every message: the base ones above and each domain's (``epicontrol.messages``).
MESSAGES: dict[str, dict[str, str]] = {**_BASE, **DOMAIN_MESSAGES}


def t(key: str, lang: str, **kwargs: Any) -> str:
    """The message ``key`` in ``lang`` (``zh-CN`` or ``en``), formatted with ``kwargs``."""
    entry = MESSAGES[key]
    text = entry["en"] if lang == "en" else entry["zh-CN"]
    return text.format(**kwargs) if kwargs else text
