/**
 * React binding (entry point `wsc-client/react`; peer dependency `react` only).
 *
 *   const { state, messages, send, error } = useWsc({ url: "ws://localhost:8080/ws?user_id=alice" });
 *
 * The client is created when the component mounts and closed when it unmounts, or when `url` or
 * `token` change (other options are read when the client is created).
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { WscClient } from "./client.js";
import type { WscClientOptions, WscError, WscFrame, WscReceipt, WscState } from "./types.js";

export interface UseWscOptions {
  /** How many received messages `messages` keeps (newest last). Default 100; 0 keeps none. */
  keep?: number;
  /** Called for each message (deduped), before it is ACKed; may return a promise. */
  onMessage?: (frame: WscFrame) => unknown;
}

export interface UseWscResult {
  client: WscClient | null;
  state: WscState;
  messages: WscFrame[];
  error: WscError | null;
  send: (frame: WscFrame) => Promise<WscReceipt | undefined>;
}

export function useWsc(options: WscClientOptions, hook: UseWscOptions = {}): UseWscResult {
  const [client, setClient] = useState<WscClient | null>(null);
  const [state, setState] = useState<WscState>("closed");
  const [messages, setMessages] = useState<WscFrame[]>([]);
  const [error, setError] = useState<WscError | null>(null);
  const optsRef = useRef(options);
  const hookRef = useRef(hook);
  optsRef.current = options;
  hookRef.current = hook;

  useEffect(() => {
    const c = new WscClient(optsRef.current);
    const keep = hookRef.current.keep ?? 100;
    const offs = [
      c.on("state", setState),
      c.on("error", setError),
      c.on("message", (f) => {
        if (keep > 0) setMessages((m) => [...m, f].slice(-keep));
        return hookRef.current.onMessage?.(f);
      }),
    ];
    setClient(c);
    c.connect();
    return () => {
      offs.forEach((off) => off());
      c.close();
      setClient(null);
    };
  }, [options.url, options.token]);

  const send = useCallback(
    (frame: WscFrame) =>
      client ? client.send(frame) : Promise.resolve<WscReceipt>({ status: "rejected", error: "closed" }),
    [client],
  );
  return { client, state, messages, error, send };
}
