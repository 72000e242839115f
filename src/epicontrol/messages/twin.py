"""User-facing text of the digital twin (keys prefixed ``twin.``).

Rt and metapopulation SEIR; scenario runs and comparisons (``twin.run.``,
``twin.compare.``, ``twin.outcome.``, ``twin.chart.``), the quick mode
(``twin.quick.``) and the demo step (``twin.demo.``).
"""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "twin.rt.title": {
        "zh-CN": "实时再生数 Rt（Cori 等 2013，{method}，窗口 {window} 天）",
        "en": "Reproduction number Rt (Cori et al. 2013, {method}, {window}-day windows)",
    },
    "twin.rt.window": {"zh-CN": "时间窗", "en": "Window"},
    "twin.rt.mean": {"zh-CN": "Rt 均值", "en": "Mean Rt"},
    "twin.rt.cri": {"zh-CN": "95% 可信区间", "en": "95% credible interval"},
    "twin.rt.cv": {"zh-CN": "后验变异系数", "en": "Posterior CV"},
    "twin.rt.si": {
        "zh-CN": "代际间隔（离散化）：均值 {mean:.2f} 天，标准差 {sd:.2f} 天",
        "en": "Serial interval (discretised): mean {mean:.2f} days, sd {sd:.2f} days",
    },
    "twin.rt.latest": {
        "zh-CN": "最近时间窗（截至 {end}）Rt = {mean:.2f}（95% 可信区间 {lo:.2f}–{hi:.2f}）",
        "en": "Latest window (to {end}): Rt = {mean:.2f} (95% CrI {lo:.2f}–{hi:.2f})",
    },
    "twin.rt.moved": {
        "zh-CN": "首日本地病例已按 EpiEstim 规则计为输入病例",
        "en": "Local cases of the first day were counted as imported (EpiEstim rule)",
    },
    "twin.rt.bad_file": {
        "zh-CN": "病例文件被拒绝：{n} 处错误",
        "en": "Case file rejected: {n} errors",
    },
    "twin.metapop.title": {
        "zh-CN": "集合种群 SEIR（{model}，{districts} 个区县，{days} 天，R0 = {r0:g}）",
        "en": "Metapopulation SEIR ({model}, {districts} districts, {days} days, R0 = {r0:g})",
    },
    "twin.metapop.mobility": {
        "zh-CN": "人口流动矩阵：{source}",
        "en": "Mobility matrix: {source}",
    },
    "twin.metapop.mobility.commuting": {
        "zh-CN": "居民住址与单位/学校所在区县的通勤流（{commuters:,} 名通勤者）",
        "en": "commuting from home to workplace/school district ({commuters:,} commuters)",
    },
    "twin.metapop.mobility.gravity": {
        "zh-CN": "按区县中心点距离的重力模型",
        "en": "gravity model on district centroids",
    },
    "twin.metapop.seed": {
        "zh-CN": "第 0 天在 {district} 输入 {n} 名感染者",
        "en": "{n} infectious persons seeded in {district} on day 0",
    },
    "twin.metapop.attack": {"zh-CN": "罹患率", "en": "Attack rate"},
    "twin.metapop.peak_day": {"zh-CN": "高峰日", "en": "Peak day"},
    "twin.metapop.peak_size": {"zh-CN": "高峰日新增感染", "en": "Infections on the peak day"},
    "twin.metapop.total": {
        "zh-CN": "全市：罹患率 {attack}，第 {peak_day} 天达到高峰（当日新增 {peak_size}）",
        "en": "City: attack rate {attack}, peak on day {peak_day} ({peak_size} new infections)",
    },
    "twin.metapop.runs": {
        "zh-CN": "随机模拟（tau-leaping）{runs} 次",
        "en": "Stochastic runs (tau-leaping): {runs}",
    },
    "twin.metapop.written": {
        "zh-CN": "逐日分区县新增感染已写入 {path}",
        "en": "Daily incidence by district written to {path}",
    },
    "twin.metapop.no_districts": {
        "zh-CN": "城市库中没有有人口的区县：请先运行 `epicontrol city generate` 或导入",
        "en": "the store holds no district with residents: run `epicontrol city generate` "
        "or import",
    },
    # scenarios: run and compare
    "twin.run.loading": {"zh-CN": "载入城市与情景", "en": "Loading the city and the scenario"},
    "twin.run.progress": {"zh-CN": "推演 {scenario}", "en": "Simulating {scenario}"},
    "twin.run.title": {
        "zh-CN": "孪生推演：{scenario}（{city}，{agents:,} 人，{runs} 次模拟，{horizon} 天）",
        "en": "Twin run: {scenario} ({city}, {agents:,} agents, {runs} runs, {horizon} days)",
    },
    "twin.run.measures": {"zh-CN": "措施：{measures}", "en": "Measures: {measures}"},
    "twin.run.no_measures": {"zh-CN": "无", "en": "none"},
    "twin.run.seeding": {
        "zh-CN": "输入病例：{seeding}",
        "en": "Imported cases: {seeding}",
    },
    "twin.run.seed_entry": {
        "zh-CN": "第 {day} 天 {district} {count} 例",
        "en": "{count} on day {day} in {district}",
    },
    "twin.kind.vaccination": {"zh-CN": "疫苗接种", "en": "vaccination"},
    "twin.kind.symptomatic_testing": {"zh-CN": "有症状就诊检测", "en": "symptomatic testing"},
    "twin.kind.mass_testing": {"zh-CN": "区域全员核酸", "en": "mass testing"},
    "twin.kind.contact_tracing": {"zh-CN": "流调追踪", "en": "contact tracing"},
    "twin.kind.quarantine": {"zh-CN": "集中隔离", "en": "central quarantine"},
    "twin.kind.zones": {"zh-CN": "三区划定", "en": "three zones"},
    "twin.kind.school_closure": {"zh-CN": "停课", "en": "school closure"},
    "twin.run.anywhere": {"zh-CN": "任意区县", "en": "any district"},
    "twin.run.written": {"zh-CN": "结果已写入 {path}", "en": "Results written to {path}"},
    "twin.run.charts": {"zh-CN": "图表：{png}，{html}", "en": "Charts: {png}, {html}"},
    "twin.run.wall": {
        "zh-CN": "用时 {seconds:.1f} 秒（每次模拟 {per:.2f} 秒）",
        "en": "{seconds:.1f} s ({per:.2f} s per run)",
    },
    "twin.run.rt_note": {
        "zh-CN": "Rt：按{series}（输入病例计为输入），代际间隔均值 {mean:.1f} 天、"
        "标准差 {sd:.1f} 天（{source}），{window} 天滑动窗",
        "en": "Rt from daily {series} (seeded cases imported), serial interval mean {mean:.1f} d, "
        "sd {sd:.1f} d ({source}), {window}-day windows",
    },
    "twin.run.series.onset": {"zh-CN": "发病日", "en": "symptom onsets"},
    "twin.run.series.diagnosed": {"zh-CN": "诊断日", "en": "diagnoses"},
    "twin.run.si.preset": {"zh-CN": "参数集自然史推算", "en": "the preset's natural history"},
    "twin.run.si.scenario": {"zh-CN": "情景给定", "en": "given by the scenario"},
    "twin.run.community_note.found": {
        "zh-CN": "社会面病例：非隔离管控状态下检出的病例",
        "en": "Community cases: cases diagnosed while under no quarantine",
    },
    "twin.run.community_note.onset": {
        "zh-CN": "社会面病例：无病例发现措施，按全部有症状发病计",
        "en": "Community cases: no case finding, every symptom onset counts",
    },
    "twin.run.no_city": {
        "zh-CN": "工作区 {workspace} 还没有城市：先运行 epicontrol city generate，"
        "或在情景中写 city: {{generate: {{population: 50000}}}}",
        "en": "workspace {workspace} holds no city: run epicontrol city generate, or give "
        "city: {{generate: {{population: 50000}}}} in the scenario",
    },
    "twin.run.need_input": {
        "zh-CN": "请给出情景文件 SCENARIO.yaml，或用 --agents 进入快速模式",
        "en": "give a SCENARIO.yaml, or --agents for the quick mode",
    },
    "twin.col.outcome": {"zh-CN": "指标", "en": "Outcome"},
    "twin.col.median": {"zh-CN": "中位数（90% 区间）", "en": "Median (90% interval)"},
    "twin.col.difference": {"zh-CN": "差值 B − A（90% 区间）", "en": "B − A (90% interval)"},
    "twin.not_reached": {"zh-CN": "未达到", "en": "not reached"},
    "twin.reached": {"zh-CN": "{reached}/{runs} 次达到", "en": "reached in {reached}/{runs}"},
    "twin.outcome.attack_rate": {"zh-CN": "罹患率", "en": "Attack rate"},
    "twin.outcome.infections": {"zh-CN": "感染人数", "en": "Infections"},
    "twin.outcome.symptomatic": {"zh-CN": "有症状人数", "en": "Symptomatic"},
    "twin.outcome.deaths": {"zh-CN": "死亡", "en": "Deaths"},
    "twin.outcome.peak_day": {"zh-CN": "感染高峰日", "en": "Peak day"},
    "twin.outcome.peak_incidence": {"zh-CN": "高峰日新增感染", "en": "Peak daily infections"},
    "twin.outcome.peak_hospital": {"zh-CN": "住院高峰（床）", "en": "Peak hospital census"},
    "twin.outcome.hospital_days_over": {
        "zh-CN": "住院超床位天数",
        "en": "Days above hospital beds",
    },
    "twin.outcome.peak_icu": {"zh-CN": "ICU 高峰（床）", "en": "Peak ICU census"},
    "twin.outcome.icu_days_over": {"zh-CN": "ICU 超床位天数", "en": "Days above ICU beds"},
    "twin.outcome.peak_quarantine": {
        "zh-CN": "集中隔离房间占用高峰",
        "en": "Peak quarantine rooms used",
    },
    "twin.outcome.quarantine_days_over": {
        "zh-CN": "隔离房间不足天数",
        "en": "Days short of quarantine rooms",
    },
    "twin.outcome.quarantine_turned_away": {
        "zh-CN": "因无房改居家隔离的密接",
        "en": "Close contacts sent home for want of a room",
    },
    "twin.outcome.peak_tracer_workload": {
        "zh-CN": "流调负荷高峰（在手病例 ÷ 日处置能力）",
        "en": "Peak tracer workload (cases in hand ÷ daily capacity)",
    },
    "twin.outcome.tracer_days_over": {
        "zh-CN": "流调积压天数",
        "en": "Days with a tracing backlog",
    },
    "twin.outcome.diagnosed": {"zh-CN": "检出病例", "en": "Cases diagnosed"},
    "twin.outcome.community_cases": {"zh-CN": "社会面病例", "en": "Community cases"},
    "twin.outcome.days_to_zero": {
        "zh-CN": "社会面清零所需天数",
        "en": "Days until no community cases",
    },
    "twin.outcome.days_to_no_infection": {
        "zh-CN": "无新增感染所需天数",
        "en": "Days until no new infections",
    },
    "twin.outcome.serial_interval": {
        "zh-CN": "实际代际间隔（天）",
        "en": "Realised serial interval (days)",
    },
    "twin.districts.title": {
        "zh-CN": "各区县感染人数（中位数，90% 区间）",
        "en": "Infections by district (median, 90% interval)",
    },
    "twin.compare.title": {
        "zh-CN": "情景对比：A = {a}，B = {b}（{city}，{agents:,} 人，{runs} 次模拟，{horizon} 天）",
        "en": "Scenario comparison: A = {a}, B = {b} ({city}, {agents:,} agents, {runs} runs, "
        "{horizon} days)",
    },
    "twin.compare.crn": {
        "zh-CN": "两个情景使用相同的随机种子（共同随机数），差值为逐次配对之差",
        "en": "Both scenarios use the same seeds (common random numbers); differences are "
        "paired run by run",
    },
    "twin.compare.aligned": {
        "zh-CN": "B 按 A 的种子与次数运行（seed {seed}，{runs} 次）",
        "en": "B runs with A's seed and number of runs (seed {seed}, {runs} runs)",
    },
    "twin.compare.city_differs": {
        "zh-CN": "city：A 与 B 必须推演同一座城市",
        "en": "city: A and B must simulate the same city",
    },
    "twin.chart.infections": {"zh-CN": "每日新增感染", "en": "New infections per day"},
    "twin.chart.community": {"zh-CN": "每日社会面病例", "en": "Community cases per day"},
    "twin.chart.rt": {"zh-CN": "实时再生数 Rt", "en": "Reproduction number Rt"},
    "twin.chart.tracer": {
        "zh-CN": "流调负荷（1 = 日处置能力）",
        "en": "Tracer workload (1 = daily capacity)",
    },
    "twin.chart.hospital": {"zh-CN": "住院人数与床位", "en": "Hospital census and beds"},
    "twin.chart.icu": {"zh-CN": "ICU 人数与床位", "en": "ICU census and beds"},
    "twin.chart.quarantine": {
        "zh-CN": "集中隔离房间占用与房间数",
        "en": "Quarantine rooms used and rooms",
    },
    "twin.chart.cumulative": {"zh-CN": "累计感染", "en": "Cumulative infections"},
    "twin.chart.day": {"zh-CN": "天", "en": "day"},
    "twin.chart.capacity": {"zh-CN": "容量", "en": "capacity"},
    "twin.chart.band": {
        "zh-CN": "曲线为各次模拟的均值，阴影为 5%–95% 区间",
        "en": "lines: mean of the runs; shading: 5–95 % band",
    },
    # quick mode
    "twin.quick.progress": {"zh-CN": "快速模式模拟", "en": "Quick-mode runs"},
    "twin.quick.title": {
        "zh-CN": "快速模式：{agents:,} 人均匀混合 {disease}，R0 = {r0:g}，{days} 天，{runs} 次",
        "en": "Quick mode: {agents:,} agents, homogeneous {disease}, R0 = {r0:g}, {days} days, "
        "{runs} runs",
    },
    "twin.quick.result": {
        "zh-CN": "罹患率 {attack:.2%}（理论终末规模 {analytic:.2%}），高峰第 {peak} 天，"
        "用时 {wall:.2f} 秒",
        "en": "Attack rate {attack:.2%} (analytic final size {analytic:.2%}), peak on day {peak}, "
        "{wall:.2f} s",
    },
    # demo
    "twin.demo.title": {
        "zh-CN": "数字孪生：无措施 vs 全套防控措施"
        "（{runs} 次模拟，{horizon} 天，{seconds:.1f} 秒）",
        "en": "Digital twin: no measures vs the full package ({runs} runs, {horizon} days, "
        "{seconds:.1f} s)",
    },
    "twin.demo.package": {
        "zh-CN": "全套措施：有症状就诊检测、1+4+6+24 流调（按流调人员能力）、按房间集中隔离、"
        "三区划定、区域全员核酸、停课",
        "en": "Full package: symptomatic testing, 1+4+6+24 tracing with tracer capacity, "
        "central quarantine by rooms, three zones, mass testing, school closure",
    },
}
