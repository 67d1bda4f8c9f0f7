"""The permission catalogue (menu and button codes), built-in roles, data scopes."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from services.identity.domain.people import UserKind


class DataScope(enum.Enum):
    SELF = "self"
    DEPARTMENT = "department"
    ORGANIZATION = "organization"
    ALL = "all"

    @property
    def breadth(self) -> int:
        return list(DataScope).index(self)


class PermissionKind(enum.Enum):
    MENU = "menu"
    BUTTON = "button"


@dataclass(frozen=True)
class PermissionSpec:
    code: str
    display_name: str
    kind: PermissionKind
    parent_code: str = ""


@dataclass
class Permission:
    code: str
    display_name: str
    kind: PermissionKind
    parent_code: str = ""
    enabled: bool = True
    sort_order: int = 0


def _menu(code: str, name: str, parent: str = "") -> PermissionSpec:
    return PermissionSpec(code, name, PermissionKind.MENU, parent)


def _button(code: str, name: str, parent: str) -> PermissionSpec:
    return PermissionSpec(code, name, PermissionKind.BUTTON, parent)


CATALOGUE: tuple[PermissionSpec, ...] = (
    _menu("org", "客户组织架构管理"),
    _menu("org.enterprise.read", "企业管理", "org"),
    _button("org.enterprise.write", "新增/编辑/禁用/删除企业", "org.enterprise.read"),
    _menu("org.department.read", "部门管理", "org"),
    _button("org.department.write", "新增/编辑/删除部门", "org.department.read"),
    _button("org.designation.write", "指定服务商", "org.enterprise.read"),
    _menu("user.read", "用户管理", "org"),
    _button("user.write", "新增/编辑/禁用/删除用户", "user.read"),
    _menu("access", "权限管理"),
    _menu("role.read", "角色管理", "access"),
    _button("role.write", "新增/编辑/删除角色", "role.read"),
    _menu("permission.read", "菜单与按钮清单", "access"),
    _button("permission.write", "启用/禁用权限", "permission.read"),
    _menu("security_log.read", "安全日志", "access"),
    _menu("provider", "服务商管理"),
    _menu("org.provider.read", "服务商", "provider"),
    _button("org.provider.write", "新增/编辑/禁用/删除服务商", "org.provider.read"),
    _menu("engineer.read", "工程师管理", "provider"),
    _button("engineer.write", "注册/编辑/禁用工程师", "engineer.read"),
    _menu("service", "服务管理"),
    _menu("catalog.read", "服务类型与级别", "service"),
    _button("catalog.write", "编辑服务类型与级别", "catalog.read"),
    _menu("ticket.read", "工单中心", "service"),
    _button("ticket.create", "提交工单", "ticket.read"),
    _button("ticket.create_on_behalf", "代客创建", "ticket.read"),
    _button("ticket.approve.l1", "一级审核", "ticket.read"),
    _button("ticket.approve.l2", "二级审核", "ticket.read"),
    _button("ticket.assign", "分派工单", "ticket.read"),
    _button("ticket.claim", "领取工单", "ticket.read"),
    _button("ticket.transfer", "转派工单", "ticket.read"),
    _button("ticket.handle", "处理工单", "ticket.read"),
    _button("ticket.comment.internal", "内部备注", "ticket.read"),
    _button("ticket.cancel", "取消工单", "ticket.read"),
    _menu("dispatch.read", "分派规则", "service"),
    _button("dispatch.write", "编辑分派规则", "dispatch.read"),
    _menu("report.read", "服务统计与服务日志", "service"),
    _menu("knowledge.read", "知识库", "service"),
    _button("knowledge.write", "编辑知识库", "knowledge.read"),
    _menu("notification.template.write", "消息模板", "service"),
    _menu("notification.delivery.read", "通知投递记录", "service"),
    _menu("integration", "第三方集成"),
    _button("integration.webhook.write", "管理 Webhook 订阅", "integration"),
)

ALL_CODES = frozenset(p.code for p in CATALOGUE)


@dataclass
class Role:
    id: str
    display_name: str
    kind: UserKind
    permission_codes: list[str]
    data_scope: DataScope
    organization_id: str = ""  # "" for platform-wide and built-in roles
    built_in: bool = False
    updated_at: datetime | None = None


@dataclass(frozen=True)
class BuiltInRole:
    id: str
    display_name: str
    kind: UserKind
    data_scope: DataScope
    permission_codes: frozenset[str] = field(default_factory=frozenset)


_ENTERPRISE_MEMBER = {"ticket.read", "ticket.create", "knowledge.read"}
_ENGINEER = {"ticket.read", "ticket.claim", "ticket.transfer", "ticket.handle",
             "ticket.comment.internal", "knowledge.read"}  # fmt: skip

_ENTERPRISE_ADMIN_EXTRA = {
    "org", "org.enterprise.read", "org.enterprise.write", "org.department.read",
    "org.department.write", "user.read", "user.write", "access", "role.read", "role.write",
    "ticket.approve.l1", "ticket.cancel", "report.read", "org.provider.read",
    "integration", "integration.webhook.write",
}  # fmt: skip
_PROVIDER_ADMIN_EXTRA = {
    "provider", "org.provider.read", "org.provider.write", "engineer.read", "engineer.write",
    "org.enterprise.read", "ticket.assign", "report.read", "dispatch.read", "dispatch.write",
    "access",
    "role.read", "role.write", "user.read", "integration", "integration.webhook.write",
}  # fmt: skip

BUILT_IN_ROLES: tuple[BuiltInRole, ...] = (
    BuiltInRole("platform-admin", "平台管理员", UserKind.PLATFORM, DataScope.ALL, ALL_CODES),
    BuiltInRole(
        "enterprise-admin",
        "企业管理员",
        UserKind.ENTERPRISE,
        DataScope.ORGANIZATION,
        frozenset(_ENTERPRISE_MEMBER | _ENTERPRISE_ADMIN_EXTRA),
    ),
    BuiltInRole(
        "enterprise-member",
        "企业成员",
        UserKind.ENTERPRISE,
        DataScope.SELF,
        frozenset(_ENTERPRISE_MEMBER),
    ),
    BuiltInRole(
        "provider-admin",
        "服务商管理员",
        UserKind.PROVIDER,
        DataScope.ORGANIZATION,
        frozenset(_ENGINEER | _PROVIDER_ADMIN_EXTRA),
    ),
    BuiltInRole("engineer", "工程师", UserKind.ENGINEER, DataScope.SELF, frozenset(_ENGINEER)),
    # Service accounts: other services acting as themselves (DESIGN.md §4: dispatch → tickets).
    BuiltInRole(
        "service-dispatch",
        "自动分派服务",
        UserKind.PLATFORM,
        DataScope.ALL,
        frozenset({"ticket.read", "ticket.assign", "catalog.read"}),
    ),
)
SERVICE_ACCOUNT_PREFIX = "svc-"

DEFAULT_ROLE = {
    UserKind.PLATFORM: "platform-admin",
    UserKind.ENTERPRISE: "enterprise-member",
    UserKind.PROVIDER: "provider-admin",
    UserKind.ENGINEER: "engineer",
}


def effective_access(roles: Iterable[Role], enabled_codes: set[str]) -> tuple[set[str], DataScope]:
    """Union of the roles' enabled codes, and the broadest of their data scopes."""
    roles = list(roles)
    codes = {c for r in roles for c in r.permission_codes if c in enabled_codes}
    scope = max((r.data_scope for r in roles), key=lambda s: s.breadth, default=DataScope.SELF)
    return codes, scope
