"""User-facing text of accounts, the API and the public zone list (keys prefixed ``users.``)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # roles (DESIGN.md §1)
    "users.role.commander": {"zh-CN": "指挥长", "en": "Commander"},
    "users.role.epidemiologist": {"zh-CN": "流调/疾控", "en": "Epidemiologist"},
    "users.role.department_officer": {"zh-CN": "部门专员", "en": "Department officer"},
    "users.role.grid_worker": {"zh-CN": "社区网格员", "en": "Community grid worker"},
    "users.role.facility_manager": {"zh-CN": "设施负责人", "en": "Facility manager"},
    "users.role.public": {"zh-CN": "公众", "en": "Public"},
    # CLI
    "users.added": {
        "zh-CN": "已创建账号 {name}（{role}，编号 {id}）",
        "en": "Account {name} created ({role}, id {id})",
    },
    "users.password.prompt": {"zh-CN": "密码", "en": "Password"},
    "users.password.stdin_empty": {
        "zh-CN": "标准输入中没有密码",
        "en": "no password on standard input",
    },
    "users.list.title": {"zh-CN": "账号", "en": "Accounts"},
    "users.col.id": {"zh-CN": "编号", "en": "ID"},
    "users.col.name": {"zh-CN": "账号", "en": "Name"},
    "users.col.role": {"zh-CN": "角色", "en": "Role"},
    "users.col.scope": {"zh-CN": "范围", "en": "Scope"},
    "users.col.active": {"zh-CN": "启用", "en": "Active"},
    "users.none": {"zh-CN": "尚无账号", "en": "No accounts yet"},
    "users.serve.start": {
        "zh-CN": "指挥中心服务启动：http://{host}:{port}/ （API 文档 /api/docs，{workers} 个进程）",
        "en": "Command centre serving on http://{host}:{port}/ "
        "(API docs /api/docs, {workers} workers)",
    },
    "users.serve.no_users": {
        "zh-CN": "尚无账号：用 `epicontrol users add NAME --role commander` 创建第一个指挥长账号",
        "en": "No accounts yet: create a commander with "
        "`epicontrol users add NAME --role commander`",
    },
    # what residents of a zone must do (public page, plain language)
    "users.public.advice.lockdown": {
        "zh-CN": "封控区：足不出户，上门服务；配合每日核酸检测；生活物资由社区配送到户。",
        "en": "Lockdown zone: stay at home; services come to your door; take the daily test; "
        "the community delivers supplies.",
    },
    "users.public.advice.control": {
        "zh-CN": "管控区：足不出区，错峰取物；严禁聚集；按通知参加核酸检测。",
        "en": "Control zone: do not leave the zone; collect goods at staggered times; "
        "no gatherings; test when told.",
    },
    "users.public.advice.prevention": {
        "zh-CN": "防范区：强化社会面管控，严格限制人员聚集；出现发热等症状及时就医并报告社区。",
        "en": "Prevention zone: avoid gatherings; if you have a fever or other symptoms, "
        "see a doctor and tell your community.",
    },
}
