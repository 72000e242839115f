"""User-facing text of the campaigns domain (keys prefixed ``campaigns.``)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "campaigns.retest.title": {
        "zh-CN": "混采阳性复核：{pool} 号混采管成员 {person} 单采单检",
        "en": "Re-test of positive pool {pool}: sample person {person} individually",
    },
    "campaigns.plan.title": {
        "zh-CN": "全员核酸检测方案（{source}）",
        "en": "Mass-testing plan ({source})",
    },
    "campaigns.source.areas": {"zh-CN": "按区域", "en": "by area"},
    "campaigns.source.zones": {"zh-CN": "按风险区", "en": "by zone"},
    "campaigns.plan.summary": {
        "zh-CN": "常住人口 {residents:,} 人，{sites} 个采样点（临时点 {temporary}），"
        "{pools:,} 个混采管（{k} 混 1），送 {labs} 个实验室",
        "en": "{residents:,} residents, {sites} sampling sites ({temporary} temporary), "
        "{pools:,} pools ({k}-in-1), sent to {labs} labs",
    },
    "campaigns.plan.times": {
        "zh-CN": "开始 {start}，采样完成 {sampling}，全部出结果 {finish}（时限 {deadline}）",
        "en": "Start {start}; sampling done {sampling}; all results {finish} (deadline {deadline})",
    },
    "campaigns.plan.ok": {
        "zh-CN": "可在 24 小时时限内完成",
        "en": "Finishes within the deadline",
    },
    "campaigns.plan.short": {
        "zh-CN": "无法按时完成：缺采样人员 {samplers} 名（需 {needed}，现有 {available}），"
        "时限内未采样 {unsampled:,} 人，时限内未出结果的混采管 {tests:,} 管",
        "en": "Misses the deadline: {samplers} samplers short ({needed} needed, {available} "
        "available), {unsampled:,} residents not sampled in the window, {tests:,} pool tests "
        "without a result by the deadline",
    },
    "campaigns.plan.pooling": {
        "zh-CN": "按阳性率 {prevalence:.3%}：人均检测 {tpp:.3f} 次，检出率 {recall:.1%}，"
        "预计复检 {retests:,.0f} 人次",
        "en": "At prevalence {prevalence:.3%}: {tpp:.3f} tests per person, recall {recall:.1%}, "
        "{retests:,.0f} individual re-tests expected",
    },
    "campaigns.plan.saved": {
        "zh-CN": "已保存为第 {campaign} 号检测任务（第 {round} 轮），下一轮 {next}",
        "en": "Saved as campaign {campaign} (round {round}); next round {next}",
    },
    "campaigns.plan.saved_before": {
        "zh-CN": "该区域同一开始时间的方案此前已保存（第 {campaign} 号），未重复记录",
        "en": "This zone set and start were saved before (campaign {campaign}); nothing new",
    },
    "campaigns.plan.progress": {"zh-CN": "编制检测方案", "en": "Planning the campaign"},
    "campaigns.save.progress": {"zh-CN": "写入混采管与人员", "en": "Writing pools and members"},
    "campaigns.col.site": {"zh-CN": "采样点", "en": "Site"},
    "campaigns.col.kind": {"zh-CN": "类型", "en": "Kind"},
    "campaigns.kind.fixed": {"zh-CN": "固定点", "en": "fixed"},
    "campaigns.kind.temporary": {"zh-CN": "临时点", "en": "temporary"},
    "campaigns.col.residents": {"zh-CN": "人数", "en": "Residents"},
    "campaigns.col.capacity": {"zh-CN": "每小时", "en": "Per hour"},
    "campaigns.col.samplers": {"zh-CN": "采样人员", "en": "Samplers"},
    "campaigns.col.shifts": {"zh-CN": "各班在岗", "en": "On duty per shift"},
    "campaigns.col.pools": {"zh-CN": "混采管", "en": "Pools"},
    "campaigns.col.start": {"zh-CN": "开始", "en": "Start"},
    "campaigns.col.finish": {"zh-CN": "完成", "en": "Finish"},
    "campaigns.col.lab": {"zh-CN": "实验室", "en": "Lab"},
    "campaigns.col.tests_per_day": {"zh-CN": "日检测能力", "en": "Tests/day"},
    "campaigns.col.transport": {"zh-CN": "平均转运（分钟）", "en": "Transport (min)"},
    "campaigns.col.zone": {"zh-CN": "区域", "en": "Zone"},
    "campaigns.col.sampled": {"zh-CN": "已采", "en": "Sampled"},
    "campaigns.col.coverage": {"zh-CN": "覆盖率", "en": "Coverage"},
    "campaigns.col.round": {"zh-CN": "轮次", "en": "Round"},
    "campaigns.col.campaign": {"zh-CN": "任务", "en": "Campaign"},
    "campaigns.col.status": {"zh-CN": "状态", "en": "Status"},
    "campaigns.sites.title": {"zh-CN": "采样点与班次", "en": "Sites and shifts"},
    "campaigns.labs.title": {"zh-CN": "实验室分配", "en": "Labs"},
    "campaigns.more": {"zh-CN": "另有 {n} 个未列出（见 --json）", "en": "{n} more (see --json)"},
    "campaigns.results.done": {
        "zh-CN": "{rows} 行：新记录混采结果 {pools}（阳性 {positive}），重复 {same}；"
        "复检结果 {retests}，重复 {retests_same}；生成复检任务 {tasks} 个",
        "en": "{rows} rows: {pools} pool results recorded ({positive} positive), {same} "
        "unchanged; {retests} re-tests recorded, {retests_same} unchanged; {tasks} re-test "
        "tasks created",
    },
    "campaigns.results.rejected": {
        "zh-CN": "结果文件被拒绝：{n} 处错误，未写入任何数据",
        "en": "Results file rejected: {n} errors; nothing was written",
    },
    "campaigns.coverage.title": {
        "zh-CN": "第 {campaign} 号检测任务（第 {round} 轮）覆盖率",
        "en": "Coverage of campaign {campaign} (round {round})",
    },
    "campaigns.coverage.summary": {
        "zh-CN": "应检 {residents:,} 人，已检 {sampled:,} 人，覆盖率 {coverage:.2%}"
        "（目标 {target:.0%}：{ok}）；阳性混采管 {positive}，已复检 {retests} 人",
        "en": "{sampled:,} of {residents:,} sampled, coverage {coverage:.2%} (target "
        "{target:.0%}: {ok}); {positive} positive pools, {retests} persons re-tested",
    },
    "campaigns.coverage.met": {"zh-CN": "达标", "en": "met"},
    "campaigns.coverage.not_met": {"zh-CN": "未达标", "en": "not met"},
    "campaigns.list.title": {"zh-CN": "全员核酸检测任务", "en": "Mass-testing campaigns"},
    "campaigns.list.none": {"zh-CN": "还没有检测任务", "en": "No campaigns yet"},
    "campaigns.demo.title": {"zh-CN": "全员核酸检测方案", "en": "Mass-testing plan"},
    "campaigns.demo.scope.zones": {
        "zh-CN": "对象：当前 {n} 个风险区",
        "en": "Scope: the {n} active zones",
    },
    "campaigns.demo.scope.communities": {
        "zh-CN": "对象：病例现住的 {n} 个社区（风险区尚未划定）",
        "en": "Scope: the {n} home communities of the cases (no zones drawn yet)",
    },
}
