/**
 * Vue 3 binding (entry point `wsc-client/vue`; peer dependency `vue` only).
 *
 *   const { state, messages, send } = useWsc({ url: "ws://localhost:8080/ws?user_id=alice" });
 *
 * Connects at once; closes when the calling component (its effect scope) is disposed.
 */
import { getCurrentScope, onScopeDispose, shallowRef, type Ref, type ShallowRef } from "vue";
import { WscClient } from "./client.js";
import type { WscClientOptions, WscError, WscFrame, WscReceipt, WscState } from "./types.js";

export interface UseWscOptions {
  /** How many received messages `messages` keeps (newest last). Default 100; 0 keeps none. */
  keep?: number;
  /** Called for each message (deduped), before it is ACKed; may return a promise. */
  onMessage?: (frame: WscFrame) => unknown;
}

export interface UseWscResult {
  client: WscClient;
  state: Ref<WscState>;
  messages: ShallowRef<WscFrame[]>;
  error: ShallowRef<WscError | null>;
  send: (frame: WscFrame) => Promise<WscReceipt | undefined>;
  close: () => void;
}

export function useWsc(options: WscClientOptions, hook: UseWscOptions = {}): UseWscResult {
  const client = new WscClient(options);
  const state = shallowRef<WscState>(client.state);
  const messages = shallowRef<WscFrame[]>([]);
  const error = shallowRef<WscError | null>(null);
  const keep = hook.keep ?? 100;
  client.on("state", (s) => (state.value = s));
  client.on("error", (e) => (error.value = e));
  client.on("message", (f) => {
    if (keep > 0) messages.value = [...messages.value, f].slice(-keep);
    return hook.onMessage?.(f);
  });
  client.connect();
  if (getCurrentScope()) onScopeDispose(() => client.close());
  return { client, state, messages, error, send: (f) => client.send(f), close: () => client.close() };
}
