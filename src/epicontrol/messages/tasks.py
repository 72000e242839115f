"""User-facing text of the tasks domain (keys prefixed ``tasks.``)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # departments (DESIGN.md §1) and escalation roles
    "tasks.department.health": {"zh-CN": "卫健", "en": "Health"},
    "tasks.department.police": {"zh-CN": "公安", "en": "Police"},
    "tasks.department.transport": {"zh-CN": "交通", "en": "Transport"},
    "tasks.department.education": {"zh-CN": "教育", "en": "Education"},
    "tasks.department.commerce": {"zh-CN": "商务", "en": "Commerce"},
    "tasks.department.civil_affairs": {"zh-CN": "民政", "en": "Civil affairs"},
    "tasks.department.community": {"zh-CN": "社区", "en": "Community"},
    "tasks.department.all": {"zh-CN": "全部门", "en": "All departments"},
    "tasks.role.department_head": {"zh-CN": "部门负责人", "en": "department head"},
    "tasks.role.commander": {"zh-CN": "指挥长", "en": "commander"},
    "tasks.status.open": {"zh-CN": "待办", "en": "open"},
    "tasks.status.in_progress": {"zh-CN": "处理中", "en": "in progress"},
    "tasks.status.done": {"zh-CN": "已完成", "en": "done"},
    "tasks.status.cancelled": {"zh-CN": "已取消", "en": "cancelled"},
    # table columns
    "tasks.col.id": {"zh-CN": "编号", "en": "ID"},
    "tasks.col.case": {"zh-CN": "病例", "en": "Case"},
    "tasks.col.kind": {"zh-CN": "环节", "en": "Step"},
    "tasks.col.department": {"zh-CN": "责任部门", "en": "Department"},
    "tasks.col.title": {"zh-CN": "任务", "en": "Task"},
    "tasks.col.due": {"zh-CN": "时限", "en": "Due"},
    "tasks.col.clock": {"zh-CN": "剩余/超时", "en": "Left / overdue"},
    "tasks.col.status": {"zh-CN": "状态", "en": "Status"},
    "tasks.col.level": {"zh-CN": "督办", "en": "Escalated to"},
    "tasks.col.after": {"zh-CN": "前置", "en": "After"},
    "tasks.col.hours": {"zh-CN": "时限（小时）", "en": "Due (h)"},
    "tasks.col.escalation": {"zh-CN": "超时督办", "en": "Escalation"},
    "tasks.col.total": {"zh-CN": "任务数", "en": "Tasks"},
    "tasks.col.done": {"zh-CN": "已完成", "en": "Done"},
    "tasks.col.on_time_rate": {"zh-CN": "按时率", "en": "On time"},
    "tasks.col.median": {"zh-CN": "用时中位数（小时）", "en": "Median (h)"},
    "tasks.col.p90": {"zh-CN": "用时 P90（小时）", "en": "P90 (h)"},
    "tasks.col.open_overdue": {"zh-CN": "超时未办", "en": "Open overdue"},
    "tasks.col.open": {"zh-CN": "未完成", "en": "Open"},
    # clock text
    "tasks.clock.left": {"zh-CN": "剩余 {hours:.1f} 小时", "en": "{hours:.1f} h left"},
    "tasks.clock.overdue": {"zh-CN": "已超时 {hours:.1f} 小时", "en": "overdue by {hours:.1f} h"},
    "tasks.clock.on_time": {"zh-CN": "按时完成", "en": "done on time"},
    "tasks.clock.late": {"zh-CN": "超时 {hours:.1f} 小时完成", "en": "done {hours:.1f} h late"},
    "tasks.clock.cancelled": {"zh-CN": "已取消", "en": "cancelled"},
    "tasks.escalation.rule": {
        "zh-CN": "+{hours:g} 小时 → {role}",
        "en": "+{hours:g} h → {role}",
    },
    # commands
    "tasks.opened": {
        "zh-CN": "病例 {case_id}：已启动 {playbook} 处置流程，生成 {n} 项任务"
        "（起算时间 {trigger}）",
        "en": "Case {case_id}: playbook {playbook} opened with {n} tasks (clock from {trigger})",
    },
    "tasks.unchanged": {
        "zh-CN": "病例 {case_id} 已启动过 {playbook} 处置流程，未做任何更改",
        "en": "Case {case_id} already has playbook {playbook} open; nothing changed",
    },
    "tasks.list.title": {"zh-CN": "任务清单（{now}）", "en": "Tasks ({now})"},
    "tasks.list.empty": {"zh-CN": "没有符合条件的任务", "en": "No tasks match"},
    "tasks.list.summary": {
        "zh-CN": "共 {n} 项，其中超时 {overdue} 项",
        "en": "{n} tasks, {overdue} overdue",
    },
    "tasks.started": {
        "zh-CN": "任务 {id} 已开始处理（版本 {version}）",
        "en": "Task {id} is in progress (version {version})",
    },
    "tasks.completed": {
        "zh-CN": "任务 {id} 已完成，{clock}（版本 {version}）",
        "en": "Task {id} is done, {clock} (version {version})",
    },
    "tasks.cancelled": {
        "zh-CN": "任务 {id} 已取消（版本 {version}）",
        "en": "Task {id} is cancelled (version {version})",
    },
    "tasks.escalated": {
        "zh-CN": "任务 {id}（病例 {case}，{department}，{kind}）超时 {hours:.1f} 小时，"
        "督办至{role}",
        "en": "Task {id} (case {case}, {department}, {kind}) {hours:.1f} h overdue: "
        "escalated to the {role}",
    },
    "tasks.escalate.none": {
        "zh-CN": "没有需要新督办的超时任务",
        "en": "No overdue task needs a new escalation",
    },
    "tasks.escalate.summary": {
        "zh-CN": "共督办 {n} 次，涉及 {tasks} 项任务",
        "en": "{n} escalations on {tasks} tasks",
    },
    "tasks.kpi.title": {
        "zh-CN": "各部门任务时效（{now}）",
        "en": "Task KPIs by department ({now})",
    },
    "tasks.kpi.note": {
        "zh-CN": "按时率 = 按时完成 ÷（已完成 + 超时未办）；用时自起算时间至完成，"
        "P90 为线性插值（Hyndman–Fan 第 7 种）",
        "en": "On time = done on time ÷ (done + open overdue); time from trigger to completion, "
        "P90 by linear interpolation (Hyndman–Fan type 7)",
    },
    "tasks.playbooks.title": {
        "zh-CN": "处置流程 {name}：{title}",
        "en": "Playbook {name}: {title}",
    },
    "tasks.playbooks.valid": {
        "zh-CN": "{source}：校验通过，{n} 个环节",
        "en": "{source}: valid, {n} steps",
    },
    "tasks.playbooks.shipped": {"zh-CN": "内置处置流程", "en": "Shipped playbooks"},
    # demo
    "tasks.demo.title": {
        "zh-CN": "处置任务：按 {playbook} 要求分派到各部门",
        "en": "Response tasks: the {playbook} playbook, by department",
    },
    "tasks.demo.case": {
        "zh-CN": "病例 {case_id}（起算 {trigger}）：{n} 项任务",
        "en": "Case {case_id} (clock from {trigger}): {n} tasks",
    },
    "tasks.demo.drill": {
        "zh-CN": "演练：各部门按模拟用时报告完成，于 {now} 统计时效并督办超时任务",
        "en": "Drill: departments report completion at simulated times; KPIs and escalations "
        "at {now}",
    },
}
