import { afterEach, beforeEach, expect, it, vi } from "vitest";
import { effectScope } from "vue";
import { useWsc } from "../src/vue.js";
import { FakeWebSocket } from "./fakes.js";

beforeEach(() => {
  FakeWebSocket.reset();
  vi.useFakeTimers();
});
afterEach(() => vi.useRealTimers());

it("useWsc (Vue) follows the client's state and messages and closes with its scope", () => {
  const scope = effectScope();
  const r = scope.run(() => useWsc({ url: "ws://hub.test/ws", WebSocket: FakeWebSocket as never }, { keep: 2 }))!;
  expect(r.state.value).toBe("connecting");
  FakeWebSocket.last.accept();
  expect(r.state.value).toBe("open");
  for (const id of ["a", "b", "c"]) FakeWebSocket.last.frame({ message_id: id, sender: "bob" });
  expect(r.messages.value.map((m) => m.message_id)).toEqual(["b", "c"]);
  scope.stop();
  expect(r.state.value).toBe("closed");
  expect(FakeWebSocket.last.closedByClient).not.toBeNull();
});
