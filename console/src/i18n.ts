import { createI18n } from "vue-i18n";
import zhCN from "./locales/zh-CN";
import en from "./locales/en";

const LOCALE = "ticketing.console.locale";

export const i18n = createI18n({
  legacy: false,
  locale: localStorage.getItem(LOCALE) === "en" ? "en" : "zh-CN",
  fallbackLocale: "zh-CN",
  messages: { "zh-CN": zhCN, en },
});

export type Locale = "zh-CN" | "en";

export function setLocale(next: Locale): void {
  i18n.global.locale.value = next;
  localStorage.setItem(LOCALE, next);
  document.documentElement.lang = next;
}

/** Switches the console's language; returns the new one (the caller saves it on the account,
 * so the messages notify writes to this user follow it too). */
export function toggleLocale(): Locale {
  const next: Locale = i18n.global.locale.value === "en" ? "zh-CN" : "en";
  setLocale(next);
  return next;
}
