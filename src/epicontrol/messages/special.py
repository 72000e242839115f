"""User-facing text of the special domain (keys prefixed ``special.``) and of supply
distribution (keys prefixed ``supply.``)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # special-population ledger
    "special.ledger.title": {
        "zh-CN": "重点人群台账（{n} 人）",
        "en": "Special-population ledger ({n} persons)",
    },
    "special.col.person": {"zh-CN": "人员", "en": "Person"},
    "special.col.tier": {"zh-CN": "等级", "en": "Tier"},
    "special.col.flags": {"zh-CN": "类别", "en": "Categories"},
    "special.col.needs": {"zh-CN": "需求", "en": "Needs"},
    "special.col.community": {"zh-CN": "社区", "en": "Community"},
    "special.col.helper": {"zh-CN": "包保人", "en": "Helper"},
    "special.col.open": {"zh-CN": "未办结", "en": "Open"},
    "special.col.id": {"zh-CN": "编号", "en": "ID"},
    "special.col.kind": {"zh-CN": "事项", "en": "Kind"},
    "special.col.status": {"zh-CN": "状态", "en": "Status"},
    "special.col.opened": {"zh-CN": "提出时间", "en": "Opened"},
    "special.col.due": {"zh-CN": "响应时限", "en": "Respond by"},
    "special.col.clock": {"zh-CN": "计时", "en": "Clock"},
    "special.col.level": {"zh-CN": "督办级别", "en": "Escalation"},
    "special.col.group": {"zh-CN": "分组", "en": "Group"},
    "special.col.requests": {"zh-CN": "诉求数", "en": "Requests"},
    "special.col.responded": {"zh-CN": "已响应", "en": "Responded"},
    "special.col.median": {"zh-CN": "响应中位数（分）", "en": "Median (min)"},
    "special.col.p90": {"zh-CN": "响应 P90（分）", "en": "P90 (min)"},
    "special.col.on_time": {"zh-CN": "及时率", "en": "On time"},
    "special.col.overdue": {"zh-CN": "超时未响应", "en": "Open overdue"},
    "special.kind.medicine": {"zh-CN": "购药", "en": "medicine"},
    "special.kind.medical_transport": {"zh-CN": "就医转运", "en": "medical transport"},
    "special.kind.food": {"zh-CN": "生活物资", "en": "food"},
    "special.kind.consultation": {"zh-CN": "线上问诊", "en": "online consultation"},
    "special.kind.other": {"zh-CN": "其他", "en": "other"},
    "special.status.open": {"zh-CN": "待响应", "en": "open"},
    "special.status.responded": {"zh-CN": "已响应", "en": "responded"},
    "special.status.done": {"zh-CN": "已办结", "en": "done"},
    "special.clock.running": {"zh-CN": "剩余 {minutes} 分钟", "en": "{minutes} min left"},
    "special.clock.overdue": {"zh-CN": "已超时 {minutes} 分钟", "en": "overdue {minutes} min"},
    "special.clock.on_time": {
        "zh-CN": "{minutes} 分钟内响应（及时）",
        "en": "responded in {minutes} min (on time)",
    },
    "special.clock.late": {
        "zh-CN": "{minutes} 分钟后响应（超时）",
        "en": "responded in {minutes} min (late)",
    },
    "special.synced": {
        "zh-CN": "台账同步：新增 {enrolled} 人，更新 {updated} 人，共 {ledger} 人",
        "en": "Ledger synced: {enrolled} enrolled, {updated} updated, {ledger} in all",
    },
    "special.helper.added": {
        "zh-CN": "包保人 {name}（{phone}），编号 {id}，社区 {community}",
        "en": "Helper {name} ({phone}), id {id}, community {community}",
    },
    "special.helper.assigned": {
        "zh-CN": "已将 {n} 人交由包保人 {name} 负责",
        "en": "{n} persons assigned to helper {name}",
    },
    "special.request.opened": {
        "zh-CN": "诉求 {id} 已登记：{kind}，{tier}，须在 {due} 前响应",
        "en": "Request {id} opened: {kind}, {tier}, respond by {due}",
    },
    "special.request.moved": {
        "zh-CN": "诉求 {id}：{status}（{clock}）",
        "en": "Request {id}: {status} ({clock})",
    },
    "special.requests.title": {"zh-CN": "服务诉求（{n} 件）", "en": "Service requests ({n})"},
    "special.escalated": {
        "zh-CN": "督办 {n} 件：{detail}",
        "en": "{n} escalations: {detail}",
    },
    "special.escalated.none": {"zh-CN": "没有需要督办的诉求", "en": "Nothing to escalate"},
    "special.recipient.community": {"zh-CN": "社区负责人", "en": "community head"},
    "special.recipient.street": {"zh-CN": "街道", "en": "street"},
    "special.recipient.district": {"zh-CN": "区指挥部", "en": "district command"},
    "special.kpi.title": {
        "zh-CN": "重点人群服务响应指标（{now}）",
        "en": "Special-population response KPIs ({now})",
    },
    "special.kpi.by_tier": {"zh-CN": "按等级", "en": "By tier"},
    "special.kpi.by_community": {"zh-CN": "按社区", "en": "By community"},
    "special.demo.title": {
        "zh-CN": "重点人群服务演示：红黄绿台账的诉求与计时",
        "en": "Special-population drill: ledger requests and their clocks",
    },
    "special.demo.summary": {
        "zh-CN": "涉疫社区台账 {ledger} 人（红 {red}，黄 {yellow}）；登记诉求 {n} 件，"
        "及时率 {rate}，督办 {escalated} 件",
        "en": "{ledger} ledger persons in the outbreak's communities ({red} red, {yellow} "
        "yellow); {n} requests, on-time rate {rate}, {escalated} escalations",
    },
    # supply distribution
    "supply.title": {
        "zh-CN": "保供三级配送计划 {day}（{source}）",
        "en": "Three-tier supply plan for {day} ({source})",
    },
    "supply.source.zones": {"zh-CN": "按当日封控区、管控区", "en": "from the day's zones"},
    "supply.source.areas": {"zh-CN": "按指定区域", "en": "for the areas given"},
    "supply.coverage": {
        "zh-CN": "{level}：{served:,}/{households:,} 户在 {hours:g} 小时内送达（{rate:.1%}）",
        "en": "{level}: {served:,} of {households:,} households served within {hours:g} h "
        "({rate:.1%})",
    },
    "supply.level.lockdown": {"zh-CN": "封控区", "en": "Lockdown zones"},
    "supply.level.control": {"zh-CN": "管控区", "en": "Control zones"},
    "supply.solver": {
        "zh-CN": "HiGHS 求解 {seconds:.1f} 秒，最优性差距 {gap:.4%}{optimal}",
        "en": "HiGHS solved in {seconds:.1f} s, optimality gap {gap:.4%}{optimal}",
    },
    "supply.optimal": {"zh-CN": "（已证明最优）", "en": " (proven optimal)"},
    "supply.items": {
        "zh-CN": "配送物资：口罩 {mask:,.0f} 个，蔬菜 {vegetables:,.0f} kg，粮食 {grain:,.0f} kg，"
        "肉类 {meat:,.0f} kg",
        "en": "Goods: {mask:,.0f} masks, {vegetables:,.0f} kg vegetables, {grain:,.0f} kg grain, "
        "{meat:,.0f} kg meat",
    },
    "supply.unserved": {
        "zh-CN": "无法按时送达 {n:,} 户，原因：{detail}",
        "en": "{n:,} households cannot be served in time: {detail}",
    },
    "supply.reason.no_point": {"zh-CN": "所在社区无保供点", "en": "no point in the community"},
    "supply.reason.travel_time": {"zh-CN": "路程时间超限", "en": "travel time"},
    "supply.reason.delivery_rounds": {
        "zh-CN": "配送人员轮次不足",
        "en": "delivery workers' rounds",
    },
    "supply.reason.point_capacity": {"zh-CN": "保供点能力不足", "en": "point capacity"},
    "supply.reason.hub_capacity": {"zh-CN": "中转站能力不足", "en": "hub capacity"},
    "supply.reason.vehicle_capacity": {"zh-CN": "车辆运力不足", "en": "vehicle capacity"},
    "supply.reason.centre_capacity": {"zh-CN": "保供中心供应不足", "en": "centre capacity"},
    "supply.reason.not_optimal": {
        "zh-CN": "求解未完成（见最优性差距）",
        "en": "solver stopped at its gap",
    },
    "supply.col.tier": {"zh-CN": "层级", "en": "Tier"},
    "supply.col.from": {"zh-CN": "起点", "en": "From"},
    "supply.col.to": {"zh-CN": "终点", "en": "To"},
    "supply.col.vehicles": {"zh-CN": "车辆", "en": "Vehicles"},
    "supply.col.trips": {"zh-CN": "车次", "en": "Trips"},
    "supply.col.kg": {"zh-CN": "公斤", "en": "kg"},
    "supply.col.point": {"zh-CN": "保供点", "en": "Point"},
    "supply.col.lockdown": {"zh-CN": "封控 送达/户数", "en": "Lockdown served/households"},
    "supply.col.control": {"zh-CN": "管控 送达/户数", "en": "Control served/households"},
    "supply.col.rounds": {"zh-CN": "配送轮次", "en": "Rounds"},
    "supply.col.household": {"zh-CN": "户", "en": "Household"},
    "supply.col.reason": {"zh-CN": "原因", "en": "Reason"},
    "supply.progress.zones": {"zh-CN": "读取封控区、管控区住户", "en": "Reading zone households"},
    "supply.progress.network": {"zh-CN": "建立三级配送网络", "en": "Building the network"},
    "supply.progress.solve": {"zh-CN": "求解配送计划（HiGHS）", "en": "Solving the plan (HiGHS)"},
    "supply.progress.store": {"zh-CN": "保存配送计划", "en": "Storing the plan"},
    "supply.nodes.done": {
        "zh-CN": "保供节点：新增 {created}，更新 {updated}，未变 {unchanged}，共 {nodes}",
        "en": "Supply nodes: {created} created, {updated} updated, {unchanged} unchanged, "
        "{nodes} in all",
    },
    "supply.nodes.rejected": {
        "zh-CN": "保供节点文件被拒绝：{n} 处错误，未写入任何数据",
        "en": "Node file rejected: {n} errors; nothing was written",
    },
    "supply.demo.title": {
        "zh-CN": "保供演示：疫区住户生活物资配送",
        "en": "Supply drill: deliveries to the households in the zones",
    },
}
