// A minimal Vue 3 chat on wsc-client/vue: `npm install wsc-client vue`, then
// createApp(Chat, { me: "alice", peer: "bob" }).mount("#app") in a page served next to a hub
// started with --insecure-user-id.  (Written with a render function so it needs no SFC compiler.)
import { defineComponent, h, ref } from "vue";
import { useWsc } from "wsc-client/vue";

export const Chat = defineComponent({
  props: { me: { type: String, required: true }, peer: { type: String, required: true } },
  setup(props) {
    const { state, messages, send, error } = useWsc({ url: `ws://localhost:8080/ws?user_id=${props.me}` });
    const text = ref("");
    const receipts = ref<string[]>([]);

    async function submit(e: Event) {
      e.preventDefault();
      const content = text.value;
      text.value = "";
      const r = await send({ receiver: props.peer, content, require_ack: true }); // queued while offline
      receipts.value = [...receipts.value, `${content}: ${r?.status ?? "sent"}`];
    }

    return () =>
      h("div", [
        h("p", `${props.me} is ${state.value}` + (error.value ? ` (${error.value.code})` : "")),
        h("ul", messages.value.map((m) => h("li", { key: m.message_id }, [h("b", m.sender), ": ", m.content]))),
        h("ul", receipts.value.map((r) => h("li", r))),
        h("form", { onSubmit: submit }, [
          h("input", {
            value: text.value,
            placeholder: `message ${props.peer}`,
            onInput: (e: Event) => (text.value = (e.target as HTMLInputElement).value),
          }),
        ]),
      ]);
  },
});
