// Dates in the viewer's own time zone (the browser's), in the console's language.
import { i18n } from "./i18n";

export function formatTime(value: string | undefined | null): string {
  if (!value) return "";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return "";
  return new Intl.DateTimeFormat(i18n.global.locale.value, {
    dateStyle: "short",
    timeStyle: "short",
  }).format(date);
}
