"""Labels of the web dashboard (``epicontrol.web``), in zh-CN and en."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "web.app": {"zh-CN": "联防联控指挥平台", "en": "Joint prevention and control centre"},
    "web.footer": {
        "zh-CN": "epicontrol · 数据来自本工作区的业务库与数据湖",
        "en": "epicontrol · figures from this workspace's store and lake",
    },
    "web.lang.switch": {"zh-CN": "English", "en": "中文"},
    "web.vendor_missing": {
        "zh-CN": "前端文件未构建（{files}）：请先运行 make web，图表暂不可用",
        "en": "Front-end files not built ({files}): run make web; charts are unavailable",
    },
    # navigation
    "web.nav.board": {"zh-CN": "城市总览", "en": "City board"},
    "web.nav.alerts": {"zh-CN": "预警", "en": "Alerts"},
    "web.nav.cases": {"zh-CN": "病例", "en": "Cases"},
    "web.nav.tasks": {"zh-CN": "任务", "en": "Tasks"},
    "web.nav.quarantine": {"zh-CN": "隔离点", "en": "Quarantine"},
    "web.nav.public": {"zh-CN": "公众信息", "en": "Public information"},
    "web.logout": {"zh-CN": "退出", "en": "Log out"},
    # roles
    "web.role.commander": {"zh-CN": "指挥长", "en": "commander"},
    "web.role.epidemiologist": {"zh-CN": "流调/疾控", "en": "epidemiologist"},
    "web.role.department_officer": {"zh-CN": "部门联络员", "en": "department officer"},
    "web.role.grid_worker": {"zh-CN": "社区网格员", "en": "grid worker"},
    "web.role.facility_manager": {"zh-CN": "设施负责人", "en": "facility manager"},
    "web.role.public": {"zh-CN": "公众", "en": "public"},
    # login
    "web.login.title": {"zh-CN": "登录", "en": "Log in"},
    "web.login.intro": {
        "zh-CN": "请使用指挥部分配的账号登录（epicontrol users add 创建）。",
        "en": "Log in with the account the command centre gave you "
        "(created by epicontrol users add).",
    },
    "web.login.name": {"zh-CN": "账号", "en": "Account name"},
    "web.login.password": {"zh-CN": "密码", "en": "Password"},
    "web.login.submit": {"zh-CN": "登录", "en": "Log in"},
    "web.login.failed": {
        "zh-CN": "账号或密码错误，或账号已停用",
        "en": "The name or password is wrong, or the account is inactive",
    },
    "web.login.required": {
        "zh-CN": "请填写账号和密码",
        "en": "Enter both the account name and the password",
    },
    "web.login.public": {
        "zh-CN": "居民无需登录即可查看当前风险区域：",
        "en": "Residents can see the current risk zones without logging in:",
    },
    "web.error.login": {
        "zh-CN": "登录已失效，请重新登录",
        "en": "Your session has ended; log in again",
    },
    "web.forbidden.title": {"zh-CN": "无权访问", "en": "Not allowed"},
    "web.forbidden.text": {
        "zh-CN": "当前角色（{role}）无权查看或操作这项内容",
        "en": "Your role ({role}) may not see or change this",
    },
    "web.missing.title": {"zh-CN": "暂无数据", "en": "Not available yet"},
    "web.missing.city": {
        "zh-CN": "工作区还没有城市数据，因此没有可显示的内容。",
        "en": "The workspace holds no city yet, so there is nothing to show.",
    },
    "web.missing.city_hint": {
        "zh-CN": "运行 epicontrol demo（演示城市）或 epicontrol city generate / city import "
        "后刷新本页。",
        "en": "Run epicontrol demo (the demo city) or epicontrol city generate / city import, "
        "then reload this page.",
    },
    "web.stale": {
        "zh-CN": "{what}已被他人修改，本次操作未保存；下方显示的是最新状态，请确认后重试",
        "en": "{what} was changed by someone else meanwhile; nothing was saved. "
        "The row now shows its current state: check it and try again",
    },
    # status of a KPI
    "web.status.ok": {"zh-CN": "达标", "en": "meets"},
    "web.status.warn": {"zh-CN": "预警", "en": "warning"},
    "web.status.breach": {"zh-CN": "超标", "en": "breach"},
    "web.status.no_data": {"zh-CN": "无数据", "en": "no data"},
    "web.kpi.standard": {"zh-CN": "标准", "en": "standard"},
    "web.kpi.breakdown": {"zh-CN": "明细（{n} 项）", "en": "Breakdown ({n})"},
    "web.kpi.none": {"zh-CN": "—", "en": "—"},
    "web.unit.h": {"zh-CN": "{v} 小时", "en": "{v} h"},
    "web.unit.min": {"zh-CN": "{v} 分钟", "en": "{v} min"},
    "web.unit.d": {"zh-CN": "{v} 天", "en": "{v} days"},
    "web.unit.beds": {"zh-CN": "{v} 张", "en": "{v} beds"},
    "web.unit.share": {"zh-CN": "{v}%", "en": "{v} %"},
    # board
    "web.board.title": {"zh-CN": "城市总览", "en": "City board"},
    "web.board.scoped": {
        "zh-CN": "网格员视图：仅显示{community}的数据",
        "en": "Grid worker's view: only {community} is shown",
    },
    "web.board.as_of": {"zh-CN": "{on}（截至 {at}）", "en": "{on} (as of {at})"},
    "web.board.cases_today": {"zh-CN": "今日报告病例", "en": "Cases reported today"},
    "web.board.cases_7d": {"zh-CN": "近 7 日病例", "en": "Cases, last 7 days"},
    "web.board.cases_total": {"zh-CN": "累计病例", "en": "Cases in all"},
    "web.board.residents": {"zh-CN": "涉及居民 {n} 人", "en": "{n} residents"},
    "web.board.open_alerts": {"zh-CN": "未关闭{level}预警", "en": "Open {level} alerts"},
    "web.board.kpis": {"zh-CN": "关键指标与标准对照", "en": "Key figures against the standards"},
    "web.map.title": {"zh-CN": "风险区域与病例分布", "en": "Risk zones and cases"},
    "web.map.note": {
        "zh-CN": "当前风险区域 {zones} 个，病例 {cases} 例（按住址）；"
        "有边界的区域画多边形，其余画中心点",
        "en": "{zones} active zones and {cases} cases (by home); areas with a boundary are drawn "
        "as polygons, the others as their centre point",
    },
    "web.map.cases": {"zh-CN": "病例", "en": "Cases"},
    "web.map.residents": {"zh-CN": "居民", "en": "residents"},
    "web.map.empty": {
        "zh-CN": "暂无风险区域和病例",
        "en": "No risk zones and no cases yet",
    },
    "web.curve.title": {"zh-CN": "疫情曲线与 Rt", "en": "Epidemic curve and Rt"},
    "web.curve.cases": {"zh-CN": "病例数", "en": "Cases"},
    "web.curve.rt": {"zh-CN": "Rt（均值）", "en": "Rt (mean)"},
    "web.curve.rt_band": {"zh-CN": "Rt 95% 区间", "en": "Rt 95 % interval"},
    "web.curve.rt_now": {
        "zh-CN": "最近 Rt = {value}（95% 区间 {lower}–{upper}，截至 {end}）",
        "en": "Latest Rt = {value} (95 % interval {lower}–{upper}, window ending {end})",
    },
    "web.curve.no_rt": {"zh-CN": "Rt 暂不可估计：{reason}", "en": "Rt not estimable yet: {reason}"},
    # alerts
    "web.alerts.title": {"zh-CN": "预警收件箱", "en": "Alerts inbox"},
    "web.alerts.intro": {
        "zh-CN": "按发出时间倒序；时效为数据到达至预警发出，标准 ≤ {hours} 小时。",
        "en": "Newest first; latency is data arrival to alert, standard ≤ {hours} h.",
    },
    "web.alerts.actions": {"zh-CN": "操作", "en": "Actions"},
    "web.alerts.none": {"zh-CN": "没有符合条件的预警", "en": "No alerts match"},
    "web.alerts.latency": {"zh-CN": "{seconds} 秒", "en": "{seconds} s"},
    "web.alerts.filter.open": {"zh-CN": "未关闭", "en": "Open"},
    "web.alerts.filter.raised": {"zh-CN": "待签收", "en": "Raised"},
    "web.alerts.filter.acknowledged": {"zh-CN": "已签收", "en": "Acknowledged"},
    "web.alerts.filter.investigating": {"zh-CN": "核查中", "en": "Investigating"},
    "web.alerts.filter.closed": {"zh-CN": "已关闭", "en": "Closed"},
    "web.alerts.filter.all": {"zh-CN": "全部", "en": "All"},
    "web.alerts.move.acknowledged": {"zh-CN": "签收", "en": "Acknowledge"},
    "web.alerts.move.investigating": {"zh-CN": "开始核查", "en": "Investigate"},
    "web.alerts.move.closed": {"zh-CN": "关闭", "en": "Close"},
    "web.alerts.outcome.outbreak_confirmed": {"zh-CN": "确认疫情", "en": "outbreak confirmed"},
    "web.alerts.outcome.false_alarm": {"zh-CN": "误报", "en": "false alarm"},
    "web.alert.what": {"zh-CN": "预警 {id}", "en": "Alert {id}"},
    "web.alert.not_found": {"zh-CN": "预警 {id} 不存在", "en": "Alert {id} does not exist"},
    "web.alert.invalid": {"zh-CN": "无法执行：{reason}", "en": "Not possible: {reason}"},
    # cases
    "web.cases.title": {"zh-CN": "病例", "en": "Cases"},
    "web.cases.none": {"zh-CN": "暂无病例", "en": "No cases yet"},
    "web.cases.open": {"zh-CN": "一图一表一报告", "en": "Map, table and report"},
    "web.cases.col.person": {"zh-CN": "人员", "en": "Person"},
    "web.case.not_found": {"zh-CN": "病例 {id} 不存在", "en": "Case {id} does not exist"},
    "web.case.not_found_hint": {
        "zh-CN": "请从病例列表打开病例。",
        "en": "Open a case from the list of cases.",
    },
    "web.case.no_report": {
        "zh-CN": "病例 {id} 的流调报告暂不可用：{reason}",
        "en": "The tracing report of case {id} is not available: {reason}",
    },
    "web.case.no_report_hint": {
        "zh-CN": "先运行 epicontrol trace case 完成流调，数据湖中需有扫码记录。",
        "en": "Trace the case first (epicontrol trace case); the lake must hold check-ins.",
    },
    "web.case.more": {
        "zh-CN": "另有 {n} 人未列出，完整名单见 epicontrol trace report 生成的 JSON",
        "en": "{n} more not shown; epicontrol trace report writes the full list as JSON",
    },
    "web.case.show_all": {"zh-CN": "显示全部", "en": "show all"},
    # tasks
    "web.tasks.title": {"zh-CN": "任务看板", "en": "Tasks board"},
    "web.tasks.intro": {
        "zh-CN": "按部门分组、按截止时间排序；倒计时实时更新，超时显示为红色。",
        "en": "By department, soonest deadline first; the countdowns run live, overdue in red.",
    },
    "web.tasks.none": {"zh-CN": "没有符合条件的任务", "en": "No tasks match"},
    "web.tasks.filter.active": {"zh-CN": "进行中", "en": "Active"},
    "web.tasks.filter.done": {"zh-CN": "已完成", "en": "Done"},
    "web.tasks.filter.cancelled": {"zh-CN": "已取消", "en": "Cancelled"},
    "web.tasks.filter.all": {"zh-CN": "全部", "en": "All"},
    "web.tasks.col.task": {"zh-CN": "任务", "en": "Task"},
    "web.tasks.col.case": {"zh-CN": "病例", "en": "Case"},
    "web.tasks.col.due": {"zh-CN": "截止时间", "en": "Due"},
    "web.tasks.col.sla": {"zh-CN": "剩余时间", "en": "Time left"},
    "web.tasks.col.status": {"zh-CN": "状态", "en": "Status"},
    "web.tasks.left": {"zh-CN": "剩余", "en": "left"},
    "web.tasks.overdue": {"zh-CN": "已超时", "en": "overdue by"},
    "web.tasks.day": {"zh-CN": "天", "en": "d"},
    "web.tasks.late": {"zh-CN": "超时完成", "en": "late"},
    "web.tasks.done_at": {"zh-CN": "完成于 {at}", "en": "done at {at}"},
    "web.tasks.escalated": {"zh-CN": "已升级 {level} 级", "en": "escalated ×{level}"},
    "web.tasks.start": {"zh-CN": "开始", "en": "Start"},
    "web.tasks.complete": {"zh-CN": "完成", "en": "Complete"},
    "web.tasks.evidence": {"zh-CN": "完成情况说明", "en": "What shows it done"},
    "web.task.what": {"zh-CN": "任务 {id}", "en": "Task {id}"},
    "web.task.not_found": {"zh-CN": "任务 {id} 不存在", "en": "Task {id} does not exist"},
    "web.task.bad_move": {"zh-CN": "未知操作 {move}", "en": "Unknown action {move}"},
    "web.task.not_yours": {
        "zh-CN": "该任务属于{department}，只有该部门可以操作",
        "en": "This task belongs to {department}; only that department may act on it",
    },
    "web.task.invalid": {"zh-CN": "无法执行：{reason}", "en": "Not possible: {reason}"},
    "web.task.bad_input": {"zh-CN": "输入有误：{reason}", "en": "Bad input: {reason}"},
    # quarantine
    "web.quarantine.title": {"zh-CN": "集中隔离点", "en": "Quarantine sites"},
    "web.quarantine.site": {"zh-CN": "隔离点", "en": "Site"},
    "web.quarantine.rooms": {"zh-CN": "房间", "en": "Rooms"},
    "web.quarantine.occupied": {"zh-CN": "已用", "en": "Occupied"},
    "web.quarantine.left": {"zh-CN": "剩余", "en": "Left"},
    "web.quarantine.share": {"zh-CN": "使用率", "en": "Occupancy"},
    "web.quarantine.accessible": {
        "zh-CN": "无障碍房间（剩余/总数）",
        "en": "Accessible rooms (left / all)",
    },
    "web.quarantine.none": {
        "zh-CN": "暂无可查看的集中隔离点",
        "en": "No quarantine sites to show",
    },
    # public
    "web.public.title": {"zh-CN": "当前风险区域", "en": "Current risk zones"},
    "web.public.intro": {
        "zh-CN": "本市当前共有 {n} 个风险区域。请查看您所在的区域以及需要做到的事项。",
        "en": "The city has {n} risk zones now. Find yours and what you must do there.",
    },
    "web.public.none": {
        "zh-CN": "目前没有风险区域，请继续做好日常防护。",
        "en": "There are no risk zones now; keep up everyday precautions.",
    },
    "web.public.since": {"zh-CN": "自 {day} 起", "en": "since {day}"},
    "web.public.earliest": {
        "zh-CN": "如无新增病例，最早 {day} 调整",
        "en": "earliest change {day} if no new case",
    },
}
