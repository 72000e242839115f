"""User-facing text of the digital twin (keys prefixed ``twin.``): Rt and metapopulation SEIR."""

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
}
