"""Synthetic tickets shaped like real ones, written straight into tickets' database (for the
scale benchmark and the list-plan tests): a million rows in about a minute.

Ticket g (1, 2, …) is deterministic: requester g % people, who belongs to enterprise
person % enterprises and department person % departments; provider g % providers and engineer
(one of that provider's); a status mix close to a working helpdesk's (half closed, a tenth
each resolved / in progress / waiting for a provider, fewer pending approval, cancelled or
rejected); created one minute after the previous; titles and descriptions from a vocabulary in
Chinese and English. Index 0 of each list can be a real (demo) organisation or person, so a
demo user sees their share of the rows."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.tickets.adapters.repositories.tickets import FOLD_COUNTS

TITLES = [
    "打印机无法打印",
    "三楼会议室 wifi 连不上",
    "电脑蓝屏重启",
    "VPN 登录失败",
    "Outlook cannot sync mail",
    "投影仪没有信号",
    "门禁卡失效",
    "空调漏水",
    "Laptop battery drains fast",
    "财务系统报错 500",
    "新员工开通邮箱",
    "显示器闪烁",
    "Printer paper jam on tray 2",
    "网络很慢",
    "服务器磁盘告警",
    "ERP 无法登录",
    "Phone line has no dial tone",
    "复印机卡纸",
    "软件安装申请",
    "Shared drive is read-only",
    "监控摄像头离线",
    "茶水间热水器故障",
    "Password reset for SAP",
    "工位网口不通",
]
DESCRIPTIONS = [
    "今天上午开始出现，重启后依旧。",
    "影响整个部门的日常工作，请尽快处理。",
    "It started after this morning's update and happens every time.",
    "已尝试更换线缆，问题仍然存在。",
    "Several colleagues on the same floor report the same problem.",
    "请工程师上门查看，联系人在前台。",
    "错误提示截图见附件。",
    "Only happens when connected to the office network.",
]
# status by g % 100, and whether a provider / an engineer holds it
STATUS_MIX = [
    (50, "closed", True, True),
    (10, "resolved", True, True),
    (10, "in_progress", True, True),
    (5, "assigned", True, True),
    (3, "waiting_on_customer", True, True),
    (10, "pending_assignment", True, False),
    (6, "pending_approval", False, False),
    (4, "cancelled", False, False),
    (2, "rejected", False, False),
]


@dataclass
class World:
    """Who the synthetic tickets belong to. Index 0 of each list may be a real id."""

    enterprises: list[str] = field(default_factory=lambda: [f"syn-ent-{i}" for i in range(40)])
    departments: list[str] = field(default_factory=lambda: [f"syn-dep-{i}" for i in range(200)])
    people: list[str] = field(default_factory=lambda: [f"syn-user-{i}" for i in range(2000)])
    providers: list[str] = field(default_factory=lambda: [f"syn-prov-{i}" for i in range(8)])
    engineers: list[str] = field(default_factory=lambda: [f"syn-eng-{i}" for i in range(200)])
    service_types: list[list[str]] = field(
        default_factory=lambda: [["syn-it", f"syn-type-{i}"] for i in range(12)]
    )
    service_levels: list[str] = field(default_factory=lambda: ["syn-level"])

    def parameters(self) -> dict[str, object]:
        assert len(self.departments) % len(self.enterprises) == 0
        assert len(self.people) % len(self.departments) == 0
        assert len(self.engineers) % len(self.providers) == 0
        return {
            "enterprises": self.enterprises,
            "departments": self.departments,
            "people": self.people,
            "providers": self.providers,
            "engineers": self.engineers,
            "type_ids": [path[-1] for path in self.service_types],
            "type_paths": [",".join(path) for path in self.service_types],
            "levels": self.service_levels,
            "titles": TITLES,
            "descriptions": DESCRIPTIONS,
        }


def _status_case(column: int) -> str:
    """CASE over g % 100 giving the STATUS_MIX's column (1 status, 2 has provider, 3 engineer)."""
    arms, low = [], 0
    for share, *values in STATUS_MIX:
        value = values[column - 1]
        rendered = f"'{value}'" if isinstance(value, str) else ("true" if value else "false")
        arms.append(f"WHEN g %% 100 < {low + share} THEN {rendered}")
        low += share
    return f"CASE {' '.join(arms)} END"


INSERT = f"""
INSERT INTO tickets (
    id, number, title, description, service_type_id, service_level_id, priority, status,
    channel, enterprise_id, requester_id, requester_department_id, created_by, contact_name,
    contact_phone, location, custom_fields, provider_id, engineer_id, approval_steps,
    pending_approval_level, approvals, auto_close_delay_seconds, resolved_at, closed_at,
    created_at, updated_at, version, service_type_path
)
SELECT
    md5('synthetic-' || g)::uuid::text,
    'S' || lpad(g::text, 9, '0'),
    (%(titles)s::text[])[1 + (g * 7) %% cardinality(%(titles)s::text[])]
        || CASE WHEN g %% 3 = 0 THEN '（' || (g %% 30 + 1) || '楼）' ELSE '' END,
    (%(descriptions)s::text[])[1 + g %% cardinality(%(descriptions)s::text[])] || ' '
        || (%(descriptions)s::text[])[1 + (g / 7) %% cardinality(%(descriptions)s::text[])],
    (%(type_ids)s::text[])[1 + (g / 3) %% cardinality(%(type_ids)s::text[])],
    (%(levels)s::text[])[1 + g %% cardinality(%(levels)s::text[])],
    1 + (g * 13) %% 4,
    status,
    CASE WHEN g %% 4 = 0 THEN 'web' ELSE 'mini_program' END,
    (%(enterprises)s::text[])[1 + person %% cardinality(%(enterprises)s::text[])],
    (%(people)s::text[])[1 + person],
    (%(departments)s::text[])[1 + person %% cardinality(%(departments)s::text[])],
    CASE WHEN g %% 50 = 0  -- raised by a colleague of the same department on their behalf
        THEN (%(people)s::text[])[1 + (person + cardinality(%(departments)s::text[]))
                                     %% cardinality(%(people)s::text[])]
        ELSE (%(people)s::text[])[1 + person] END,
    '联系人', '13800000000', '总部大楼',
    jsonb_build_object('floor', g %% 30 + 1),
    CASE WHEN with_provider THEN (%(providers)s::text[])[1 + provider] ELSE '' END,
    CASE WHEN with_engineer THEN (%(engineers)s::text[])[
        1 + provider + cardinality(%(providers)s::text[])
            * ((g / 8) %% (cardinality(%(engineers)s::text[]) / cardinality(%(providers)s::text[])))
    ] ELSE '' END,
    '[]'::jsonb, 0, '[]'::jsonb, 259200,
    CASE WHEN status IN ('resolved', 'closed') THEN created + interval '5 hours' END,
    CASE WHEN status = 'closed' THEN created + interval '3 days' END,
    created,
    created + (g %% 72) * interval '1 hour',
    3,
    string_to_array((%(type_paths)s::text[])[1 + (g / 3) %% cardinality(%(type_ids)s::text[])], ',')
FROM (
    SELECT g,
           (g * 31) %% cardinality(%(people)s::text[]) AS person,
           g %% cardinality(%(providers)s::text[]) AS provider,
           {_status_case(1)} AS status,
           {_status_case(2)} AS with_provider,
           {_status_case(3)} AS with_engineer,
           timestamptz '2024-12-01 00:00:00+00' + g * interval '1 minute' AS created
    FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g
) AS synthetic
"""


def grow(connection, world: World, have: int, want: int, batch: int = 100_000) -> None:  # type: ignore[no-untyped-def]
    """Adds synthetic tickets have+1 … want (a psycopg connection, committed per batch), then
    folds the count deltas the trigger wrote and refreshes the planner's statistics."""
    parameters = world.parameters()
    for first in range(have + 1, want + 1, batch):
        last = min(first + batch - 1, want)
        with connection.cursor() as cursor:
            cursor.execute(INSERT, parameters | {"first": first, "last": last})
        connection.commit()
    with connection.cursor() as cursor:
        while True:  # fold the deltas the trigger wrote, as tickets' timer does
            cursor.execute(FOLD_COUNTS.replace(":batch", "%(batch)s"), {"batch": 200_000})
            connection.commit()
            if not cursor.fetchone()[0]:
                break
    previous = connection.autocommit
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) tickets")
        cursor.execute("VACUUM (ANALYZE) ticket_counts")
    connection.autocommit = previous
