"""User-facing text of the quarantine domain (keys prefixed ``quarantine.``)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "quarantine.solving": {"zh-CN": "求解隔离点分配", "en": "Solving the site assignment"},
    "quarantine.routing": {"zh-CN": "编排转运批次", "en": "Planning the transfer batches"},
    "quarantine.rejected": {
        "zh-CN": "输入文件被拒绝：{n} 处错误，未做任何计算",
        "en": "Input rejected: {n} errors; nothing was computed",
    },
    "quarantine.summary": {
        "zh-CN": "分配 {assigned}/{persons} 人（最多可安置 {max}），总距离 {cost:,.1f} 人·公里，"
        "下界 {bound:,.1f}，差距 {gap:.3%}（{status}，{seconds:.1f} 秒）",
        "en": "Assigned {assigned}/{persons} persons (at most {max} can be placed), total "
        "distance {cost:,.1f} person-km, bound {bound:,.1f}, gap {gap:.3%} ({status}, "
        "{seconds:.1f} s)",
    },
    "quarantine.nobody": {
        "zh-CN": "没有新的密接需要安排隔离，未做任何更改",
        "en": "No new contacts to quarantine; nothing changed",
    },
    "quarantine.col.person": {"zh-CN": "人员", "en": "Person"},
    "quarantine.col.household": {"zh-CN": "户", "en": "Household"},
    "quarantine.col.site": {"zh-CN": "隔离点", "en": "Site"},
    "quarantine.col.distance": {"zh-CN": "距离（公里）", "en": "Distance (km)"},
    "quarantine.col.reason": {"zh-CN": "原因", "en": "Reason"},
    "quarantine.col.status": {"zh-CN": "状态", "en": "Status"},
    "quarantine.col.rooms": {"zh-CN": "房间", "en": "Rooms"},
    "quarantine.col.occupied": {"zh-CN": "已用", "en": "Occupied"},
    "quarantine.col.left": {"zh-CN": "剩余", "en": "Left"},
    "quarantine.col.accessible_left": {"zh-CN": "无障碍剩余", "en": "Accessible left"},
    "quarantine.col.persons": {"zh-CN": "人数", "en": "Persons"},
    "quarantine.col.vehicle": {"zh-CN": "车辆/趟次", "en": "Vehicle/trip"},
    "quarantine.col.depart": {"zh-CN": "出发", "en": "Departs"},
    "quarantine.col.arrive": {"zh-CN": "到达", "en": "Arrives"},
    "quarantine.col.deadline": {"zh-CN": "时限", "en": "Deadline"},
    "quarantine.col.on_time": {"zh-CN": "按时", "en": "On time"},
    "quarantine.col.due": {"zh-CN": "应解除", "en": "Release due"},
    "quarantine.col.tests": {"zh-CN": "检测", "en": "Tests"},
    "quarantine.unassigned.title": {"zh-CN": "未能安置", "en": "Not placed"},
    "quarantine.sites.title": {"zh-CN": "隔离点房间", "en": "Quarantine sites"},
    "quarantine.roster.title": {"zh-CN": "隔离人员台账", "en": "Quarantine roster"},
    "quarantine.transfers.title": {"zh-CN": "转运批次", "en": "Transfer batches"},
    "quarantine.transfers.summary": {
        "zh-CN": "{persons} 人，{batches} 个批次，{vehicles} 辆车；{late} 人无法在时限内到达",
        "en": "{persons} persons in {batches} batches with {vehicles} vehicles; "
        "{late} cannot arrive by the deadline",
    },
    "quarantine.late.title": {"zh-CN": "无法按时转运", "en": "Late transfers"},
    "quarantine.reason.no_accessible_site": {
        "zh-CN": "需要无障碍房间，但没有无障碍隔离点",
        "en": "needs an accessible room; no accessible site",
    },
    "quarantine.reason.unreachable": {"zh-CN": "没有可到达的隔离点", "en": "no reachable site"},
    "quarantine.reason.household_too_large": {
        "zh-CN": "同户人数超过任何隔离点的剩余房间",
        "en": "household larger than any site's rooms left",
    },
    "quarantine.reason.no_accessible_room": {
        "zh-CN": "无障碍房间已满",
        "en": "accessible rooms are full",
    },
    "quarantine.reason.no_room": {"zh-CN": "房间已满", "en": "no room left"},
    "quarantine.reason.deadline_passed": {"zh-CN": "时限已过", "en": "deadline already passed"},
    "quarantine.reason.too_far": {
        "zh-CN": "路程过远，专车也无法按时到达",
        "en": "too far: even a dedicated vehicle arrives late",
    },
    "quarantine.reason.no_vehicle": {"zh-CN": "车辆不足", "en": "not enough vehicles"},
    "quarantine.reason.positive_test": {"zh-CN": "检测阳性", "en": "positive test"},
    "quarantine.reason.no_recent_negative_test": {
        "zh-CN": "缺少近一天的阴性结果",
        "en": "no negative test in the last day",
    },
    "quarantine.admitted": {"zh-CN": "已入住 {n} 人", "en": "Admitted {n} persons"},
    "quarantine.tested": {
        "zh-CN": "已记录人员 {person} 在 {day} 的检测结果：{result}",
        "en": "Recorded person {person}'s test on {day}: {result}",
    },
    "quarantine.released": {
        "zh-CN": "{today}：解除隔离 {n} 人，暂缓 {held} 人",
        "en": "{today}: released {n} persons, held {held}",
    },
    "quarantine.demo.title": {
        "zh-CN": "集中隔离：密接分配与转运",
        "en": "Centralised quarantine: assignment and transfers",
    },
    "quarantine.demo.sites_used": {
        "zh-CN": "使用隔离点 {used} 个（共 {sites} 个），剩余房间 {left:,}",
        "en": "{used} of {sites} sites used, {left:,} rooms left",
    },
}
