import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { createElement } from "react";
import TestRenderer, { act } from "react-test-renderer";
import { useWsc, type UseWscResult } from "../src/react.js";
import { FakeWebSocket } from "./fakes.js";

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

beforeEach(() => {
  FakeWebSocket.reset();
  vi.useFakeTimers();
});
afterEach(() => vi.useRealTimers());

it("useWsc (React) connects on mount, follows state and messages, sends, and closes on unmount", async () => {
  let got: UseWscResult | null = null;
  const seen: string[] = [];
  function Probe() {
    got = useWsc(
      { url: "ws://hub.test/ws", WebSocket: FakeWebSocket as never },
      { keep: 2, onMessage: (f) => void seen.push(String(f.message_id)) },
    );
    return null;
  }
  let r!: TestRenderer.ReactTestRenderer;
  await act(async () => {
    r = TestRenderer.create(createElement(Probe));
  });
  expect(FakeWebSocket.all.length).toBe(1);
  expect(got!.state).toBe("connecting");
  await act(async () => FakeWebSocket.last.accept());
  expect(got!.state).toBe("open");
  await act(async () => {
    for (const id of ["a", "b", "c"]) FakeWebSocket.last.frame({ message_id: id, sender: "bob" });
  });
  expect(got!.messages.map((m) => m.message_id)).toEqual(["b", "c"]);
  expect(seen).toEqual(["a", "b", "c"]);
  let receipt: unknown;
  await act(async () => {
    const p = got!.send({ receiver: "bob", message_id: "m1", require_ack: true });
    FakeWebSocket.last.frame({ message_type: "ack", message_id: "m1", data: { status: "delivered" } });
    receipt = await p;
  });
  expect(receipt).toEqual({ status: "delivered" });
  await act(async () => r.unmount());
  expect(FakeWebSocket.last.closedByClient).not.toBeNull();
  vi.advanceTimersByTime(60000);
  expect(FakeWebSocket.all.length).toBe(1);
});
