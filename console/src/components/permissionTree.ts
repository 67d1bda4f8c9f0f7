import type { Schemas } from "../api/client";

type Permission = Schemas["ticketing.identity.v1.Permission"];

export interface PermissionNode {
  code: string;
  label: string;
  kind: string;
  enabled: boolean;
  children: PermissionNode[];
}

/** The menu and button catalogue as a tree (菜单 › 按钮), in the catalogue's order; with `only`,
 * just those codes (an organisation's admin grants no more than he holds). */
export function permissionTree(permissions: Permission[], only?: (code: string) => boolean): PermissionNode[] {
  if (only) permissions = permissions.filter((p) => only(p.code ?? ""));
  const nodes = new Map<string, PermissionNode>();
  for (const p of permissions) {
    nodes.set(p.code ?? "", {
      code: p.code ?? "",
      label: p.displayName ?? p.code ?? "",
      kind: p.kind ?? "",
      enabled: p.enabled ?? true,
      children: [],
    });
  }
  const roots: PermissionNode[] = [];
  for (const p of permissions) {
    const node = nodes.get(p.code ?? "")!;
    const parent = p.parentCode ? nodes.get(p.parentCode) : undefined;
    (parent ? parent.children : roots).push(node);
  }
  return roots;
}
