// Paging through the API's page tokens: the tokens of the pages seen are kept, so "previous"
// re-reads the earlier page from its own token (keyset paging has no offsets).
import { ref, type Ref } from "vue";

export interface Page<T> {
  items: T[];
  nextPageToken?: string;
  totalSize?: number;
  totalSizeCapped?: boolean;
}

export type Paging = ReturnType<typeof usePaging<unknown>>;

export function usePaging<T>(fetchPage: (pageToken: string) => Promise<Page<T>>) {
  const items = ref([]) as Ref<T[]>;
  const tokens = ref<string[]>([""]);
  const next = ref("");
  const total = ref<number | null>(null);
  const capped = ref(false);
  const loading = ref(false);
  const error = ref("");

  async function load(index: number): Promise<void> {
    loading.value = true;
    error.value = "";
    try {
      const page = await fetchPage(tokens.value[index] ?? "");
      items.value = page.items;
      next.value = page.nextPageToken ?? "";
      if (index === 0) {
        total.value = page.totalSize ?? null;
        capped.value = Boolean(page.totalSizeCapped);
      }
      tokens.value = tokens.value.slice(0, index + 1);
    } catch (failure) {
      error.value = failure instanceof Error ? failure.message : String(failure);
    } finally {
      loading.value = false;
    }
  }

  return {
    items,
    total,
    capped,
    loading,
    error,
    pageNumber: () => tokens.value.length,
    hasNext: () => Boolean(next.value),
    hasPrevious: () => tokens.value.length > 1,
    reload: () => {
      tokens.value = [""];
      return load(0);
    },
    nextPage: () => {
      tokens.value = [...tokens.value, next.value];
      return load(tokens.value.length - 1);
    },
    previousPage: () => load(tokens.value.length - 2),
  };
}
