// Names for the ids the API returns (providers, engineers, enterprises, service types and
// levels), fetched once per page view and kept while the console is open.
import { reactive } from "vue";
import { api, unwrap } from "./api/client";
import { can, session } from "./session";

export const names = reactive<Record<string, string>>({});
const loaded = new Set<string>();

async function once(key: string, load: () => Promise<void>): Promise<void> {
  if (loaded.has(key)) return;
  loaded.add(key);
  try {
    await load();
  } catch {
    loaded.delete(key); // e.g. 403 for this caller: ids stay shown as they are
  }
}

export const nameOf = (id: string | undefined): string => (id ? (names[id] ?? id) : "");

export function loadProviders(): Promise<void> {
  return once("providers", async () => {
    const page = await unwrap(api.GET("/v1/providers", { params: { query: { pageSize: 100 } } }));
    for (const p of page.providers ?? []) names[p.providerId ?? ""] = p.displayName ?? "";
  });
}

export function loadEngineers(providerId: string): Promise<void> {
  if (!providerId || !can("engineer.read")) return Promise.resolve();
  return once(`engineers:${providerId}`, async () => {
    const page = await unwrap(
      api.GET("/v1/providers/{provider_id}/engineers", { params: { path: { provider_id: providerId }, query: { pageSize: 100 } } }),
    );
    for (const e of page.engineers ?? []) names[e.engineerId ?? ""] = e.displayName ?? "";
  });
}

export function loadEnterprises(): Promise<void> {
  return once("enterprises", async () => {
    const page = await unwrap(api.GET("/v1/enterprises", { params: { query: { pageSize: 100 } } }));
    for (const e of page.enterprises ?? []) names[e.enterpriseId ?? ""] = e.displayName ?? "";
  });
}

export function loadCatalogue(): Promise<void> {
  return once("catalogue", async () => {
    const [types, levels] = await Promise.all([
      unwrap(api.GET("/v1/service-types", { params: { query: { pageSize: 500 } } })),
      unwrap(api.GET("/v1/service-levels", { params: { query: { pageSize: 100 } } })),
    ]);
    for (const t of types.serviceTypes ?? []) names[t.serviceTypeId ?? ""] = t.displayName ?? "";
    for (const l of levels.serviceLevels ?? []) names[l.serviceLevelId ?? ""] = l.displayName ?? "";
  });
}

export function loadRules(): Promise<void> {
  // Platform staff see every rule, a provider's admin his own (the platform's rule that
  // chose his provider is named by id only).
  const kind = session.user?.kind;
  if (!can("dispatch.read") || (kind !== "PRINCIPAL_KIND_PLATFORM" && kind !== "PRINCIPAL_KIND_PROVIDER")) return Promise.resolve();
  return once("rules", async () => {
    const page = await unwrap(api.GET("/v1/dispatch-rules", { params: { query: { pageSize: 500, showDisabled: true } } }));
    for (const r of page.dispatchRules ?? []) names[r.dispatchRuleId ?? ""] = r.displayName ?? "";
  });
}
