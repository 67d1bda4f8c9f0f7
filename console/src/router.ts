import { createRouter, createWebHistory, type RouteRecordRaw } from "vue-router";
import { can, loadMe, restore, session } from "./session";

declare module "vue-router" {
  interface RouteMeta {
    /** Any one of these permission codes opens the page (and shows its menu entry). */
    perms?: string[];
    /** Only users of these kinds (what the service allows today). */
    kinds?: string[];
    /** Menu group and label (i18n keys); no label: not in the menu. */
    group?: string;
    label?: string;
    public?: boolean;
  }
}

// Every page is its own chunk: the first paint loads only the shell and the page shown.
export const pages: RouteRecordRaw[] = [
  {
    path: "/dashboard",
    component: () => import("./views/DashboardView.vue"),
    meta: { perms: ["report.read"], group: "service", label: "menu.dashboard" },
  },
  {
    path: "/service-log",
    component: () => import("./views/ServiceLogView.vue"),
    meta: { perms: ["report.read"], group: "service", label: "menu.serviceLog" },
  },
  {
    path: "/tickets",
    component: () => import("./views/TicketsView.vue"),
    meta: { perms: ["ticket.read"], group: "service", label: "menu.tickets" },
  },
  {
    path: "/tickets/:ticketId",
    component: () => import("./views/TicketView.vue"),
    meta: { perms: ["ticket.read"] },
    props: true,
  },
  {
    path: "/catalog",
    component: () => import("./views/CatalogView.vue"),
    meta: { perms: ["catalog.read"], group: "service", label: "menu.catalog" },
  },
  {
    path: "/dispatch-rules",
    component: () => import("./views/DispatchRulesView.vue"),
    // Rules are the platform's for now (a provider's own rules: issue 9).
    meta: { perms: ["dispatch.read"], kinds: ["PRINCIPAL_KIND_PLATFORM", "PRINCIPAL_KIND_PROVIDER"], group: "service", label: "menu.dispatchRules" },
  },
  {
    path: "/sla",
    component: () => import("./views/SlaView.vue"),
    meta: { perms: ["dispatch.read"], kinds: ["PRINCIPAL_KIND_PLATFORM"], group: "service", label: "menu.sla" },
  },
  {
    path: "/approvals",
    component: () => import("./views/ApprovalsView.vue"),
    meta: {
      perms: ["ticket.approve.l1", "ticket.approve.l2"],
      group: "service",
      label: "menu.approvals",
    },
  },
  {
    path: "/knowledge",
    component: () => import("./views/KnowledgeView.vue"),
    meta: { perms: ["knowledge.read"], group: "service", label: "menu.knowledge" },
  },
  {
    path: "/messages",
    component: () => import("./views/MessagesView.vue"),
    meta: { group: "service", label: "menu.messages" },
  },
  {
    path: "/enterprises",
    component: () => import("./views/EnterprisesView.vue"),
    meta: { perms: ["org.enterprise.read"], group: "org", label: "menu.enterprises" },
  },
  {
    path: "/notification-templates",
    component: () => import("./views/TemplatesView.vue"),
    meta: { perms: ["notification.template.write"], group: "service", label: "menu.templates" },
  },
  {
    path: "/webhooks",
    component: () => import("./views/WebhooksView.vue"),
    meta: { perms: ["integration"], group: "integration", label: "menu.webhooks" },
  },
  {
    path: "/api-keys",
    component: () => import("./views/ApiKeysView.vue"),
    meta: { perms: ["integration"], group: "integration", label: "menu.apiKeys" },
  },
  {
    path: "/users",
    component: () => import("./views/UsersView.vue"),
    meta: { perms: ["user.read"], group: "org", label: "menu.users" },
  },
  {
    path: "/roles",
    component: () => import("./views/RolesView.vue"),
    meta: { perms: ["role.read"], group: "access", label: "menu.roles" },
  },
  {
    path: "/permissions",
    component: () => import("./views/PermissionsView.vue"),
    meta: { perms: ["permission.read"], group: "access", label: "menu.permissions" },
  },
  {
    path: "/security-logs",
    component: () => import("./views/SecurityLogView.vue"),
    meta: { perms: ["security_log.read"], group: "access", label: "menu.securityLogs" },
  },
  {
    path: "/providers",
    component: () => import("./views/ProvidersView.vue"),
    meta: { perms: ["org.provider.read"], group: "provider", label: "menu.providers" },
  },
];

export function allowed(route: { meta: { perms?: string[]; kinds?: string[] } }): boolean {
  if (route.meta.kinds && !route.meta.kinds.includes(session.user?.kind ?? "")) return false;
  return !route.meta.perms || route.meta.perms.some(can);
}

function home(): string {
  const first = pages.find((page) => page.meta?.label && allowed({ meta: page.meta }));
  return first ? first.path : "/tickets";
}

export const router = createRouter({
  history: createWebHistory(import.meta.env.BASE_URL),
  routes: [
    {
      path: "/login",
      component: () => import("./views/LoginView.vue"),
      meta: { public: true },
    },
    {
      path: "/",
      component: () => import("./views/ShellLayout.vue"),
      children: [{ path: "", redirect: () => home() }, ...pages],
    },
    { path: "/:rest(.*)*", redirect: "/" },
  ],
});

router.beforeEach(async (to) => {
  if (to.meta.public) return true;
  if (!session.user) {
    if (!restore() || !(await loadMe())) return { path: "/login", query: { next: to.fullPath } };
  }
  if (!allowed(to)) return home() === to.path ? true : { path: home() };
  return true;
});
