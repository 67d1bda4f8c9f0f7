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

export function toggleLocale(): void {
  const next = i18n.global.locale.value === "en" ? "zh-CN" : "en";
  i18n.global.locale.value = next;
  localStorage.setItem(LOCALE, next);
  document.documentElement.lang = next;
}
