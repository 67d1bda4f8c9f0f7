// The caller's unread count, kept live from GET /v1/messages:stream (server-sent events).
// EventSource cannot send an Authorization header, so the stream is read with fetch; on an
// end or a failure it reconnects with Last-Event-ID, so nothing is missed or repeated.
import { reactive } from "vue";
import type { Schemas } from "./api/client";
import { refreshIfDue, session } from "./session";

type Message = Schemas["ticketing.notify.v1.Message"];

export const inbox = reactive({
  unread: { total: 0, system: 0, ticket: 0 },
  latest: [] as Message[], // arrived while the console is open, newest first
  connected: false,
});

let controller: AbortController | null = null;
window.addEventListener("ticketing:session-ended", () => stopLive());
let lastEventId = "";

export function startLive(): void {
  if (controller) return;
  controller = new AbortController();
  void run(controller.signal);
}

export function stopLive(): void {
  controller?.abort();
  controller = null;
  inbox.connected = false;
}

async function run(signal: AbortSignal): Promise<void> {
  let wait = 1000;
  while (!signal.aborted && session.refreshToken) {
    try {
      await refreshIfDue();
      const headers: Record<string, string> = {
        Authorization: `Bearer ${session.accessToken}`,
        Accept: "text/event-stream",
      };
      if (lastEventId) headers["Last-Event-ID"] = lastEventId;
      const response = await fetch("/v1/messages:stream", { headers, signal });
      if (!response.ok || !response.body) throw new Error(`stream: HTTP ${response.status}`);
      inbox.connected = true;
      wait = 1000;
      await read(response.body, signal);
    } catch (failure) {
      if (signal.aborted) return;
      console.warn("message stream interrupted", failure);
    }
    inbox.connected = false;
    await new Promise((resolve) => setTimeout(resolve, wait));
    wait = Math.min(wait * 2, 30_000);
  }
}

async function read(body: ReadableStream<Uint8Array>, signal: AbortSignal): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  while (!signal.aborted) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.search(/\r?\n\r?\n/)) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, "");
      dispatch(block);
    }
  }
}

function dispatch(block: string): void {
  let id = "";
  const data: string[] = [];
  for (const line of block.split(/\r?\n/)) {
    if (line.startsWith(":")) continue; // keep-alive comment
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "id") id = value;
    else if (field === "data") data.push(value);
  }
  if (!data.length) return;
  if (id) lastEventId = id;
  const event = JSON.parse(data.join("\n")) as Schemas["ticketing.notify.v1.StreamMessagesResponse"];
  if (event.unreadCount) {
    inbox.unread = {
      total: event.unreadCount.total ?? 0,
      system: event.unreadCount.system ?? 0,
      ticket: event.unreadCount.ticket ?? 0,
    };
  }
  if (event.message) inbox.latest = [event.message, ...inbox.latest].slice(0, 20);
}
