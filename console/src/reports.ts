// The filters every report shares, as the query parameters of /v1/reports/* (`filter.*`), in
// the viewer's time zone (where his days begin).
import { reactive } from "vue";
import { viewerZone } from "./format";

export const reportFilter = reactive({
  range: [new Date(Date.now() - 30 * 86_400_000), new Date()] as [Date, Date],
  enterpriseId: "",
  providerId: "",
});

export function filterQuery(): Record<string, string> {
  const query: Record<string, string> = {
    "filter.startTime": reportFilter.range[0].toISOString(),
    "filter.endTime": reportFilter.range[1].toISOString(),
    "filter.timeZone": viewerZone(),
  };
  if (reportFilter.enterpriseId) query["filter.enterpriseId"] = reportFilter.enterpriseId;
  if (reportFilter.providerId) query["filter.providerId"] = reportFilter.providerId;
  return query;
}

/** "5400s" → 1.5 (hours, two decimals). */
export function hoursOf(duration: string | undefined): number {
  const seconds = Number.parseFloat((duration ?? "0").replace(/s$/, "")) || 0;
  return Math.round((seconds / 3600) * 100) / 100;
}
