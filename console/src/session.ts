// Who is signed in: tokens (kept in sessionStorage: they end with the tab), the caller's
// profile and permission codes. Menus and buttons follow the codes; the server still checks.
import { reactive } from "vue";
import createClient from "openapi-fetch";
import type { components, paths } from "./api/schema";
import { setLocale } from "./i18n";

type User = components["schemas"]["ticketing.identity.v1.User"];
type TokenPair = components["schemas"]["ticketing.identity.v1.TokenPair"];

const STORE = "ticketing.console.session";
// Sign-in and refresh go through a client of their own (no auth middleware, no recursion).
const plain = createClient<paths>({ baseUrl: "" });

interface Stored {
  accessToken: string;
  refreshToken: string;
  expiresAt: number;
}

export const session = reactive({
  accessToken: "",
  refreshToken: "",
  expiresAt: 0,
  user: null as User | null,
  permissions: new Set<string>(),
  endedBecause: "" as "" | "expired" | "signed-out",
});

export function can(code: string): boolean {
  return session.permissions.has(code);
}

function keep(pair: TokenPair): void {
  session.accessToken = pair.accessToken ?? "";
  session.refreshToken = pair.refreshToken ?? "";
  session.expiresAt = pair.accessTokenExpireTime ? Date.parse(pair.accessTokenExpireTime) : 0;
  const stored: Stored = {
    accessToken: session.accessToken,
    refreshToken: session.refreshToken,
    expiresAt: session.expiresAt,
  };
  sessionStorage.setItem(STORE, JSON.stringify(stored));
}

export function restore(): boolean {
  const raw = sessionStorage.getItem(STORE);
  if (!raw) return false;
  try {
    const stored = JSON.parse(raw) as Stored;
    Object.assign(session, stored);
    return Boolean(session.refreshToken);
  } catch {
    sessionStorage.removeItem(STORE);
    return false;
  }
}

export async function signIn(login: string, password: string): Promise<Response> {
  const { data, response } = await plain.POST("/v1/auth:login", { body: { login, password } });
  if (response.ok && data) {
    keep(data);
    session.endedBecause = "";
  }
  return response;
}

let refreshing: Promise<void> | null = null;

/** Renews the access token shortly before it expires (one refresh at a time). */
export async function refreshIfDue(): Promise<void> {
  if (!session.refreshToken || Date.now() < session.expiresAt - 30_000) return;
  refreshing ??= (async () => {
    const { data, response } = await plain.POST("/v1/auth:refresh", {
      body: { refreshToken: session.refreshToken },
    });
    if (response.ok && data) keep(data);
    else endSession("expired");
  })().finally(() => {
    refreshing = null;
  });
  await refreshing;
}

export async function loadMe(): Promise<boolean> {
  await refreshIfDue();
  if (!session.accessToken) return false;
  const { data, response } = await plain.GET("/v1/users/me", {
    headers: { Authorization: `Bearer ${session.accessToken}` },
  });
  if (!response.ok || !data) return false;
  session.user = data;
  session.permissions = new Set(data.permissions ?? []);
  if (data.locale === "en" || data.locale === "zh-CN") setLocale(data.locale); // the account's
  return true;
}

export function endSession(why: "expired" | "signed-out"): void {
  window.dispatchEvent(new Event("ticketing:session-ended"));
  sessionStorage.removeItem(STORE);
  Object.assign(session, { accessToken: "", refreshToken: "", expiresAt: 0, user: null });
  session.permissions = new Set();
  session.endedBecause = why;
  if (!location.pathname.endsWith("/login")) location.assign(`${import.meta.env.BASE_URL}login`);
}

export async function signOut(): Promise<void> {
  if (session.refreshToken) {
    await plain.POST("/v1/auth:logout", { body: { refreshToken: session.refreshToken } });
  }
  endSession("signed-out");
}
