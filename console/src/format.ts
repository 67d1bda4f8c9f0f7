// Dates in the viewer's time zone (his account's; the browser's until he chooses one), in the
// console's language.
import { i18n } from "./i18n";
import { session } from "./session";

/** The viewer's time zone: the one kept on his account, else the browser's. */
export function viewerZone(): string {
  return session.user?.timeZone || Intl.DateTimeFormat().resolvedOptions().timeZone;
}

export function formatTime(value: string | undefined | null): string {
  if (!value) return "";
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return "";
  return new Intl.DateTimeFormat(i18n.global.locale.value, {
    dateStyle: "short",
    timeStyle: "short",
    timeZone: viewerZone(),
  }).format(date);
}
