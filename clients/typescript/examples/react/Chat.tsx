// A minimal React chat on wsc-client/react: `npm install wsc-client react react-dom`, then render
// <Chat me="alice" peer="bob" /> in a page served next to a hub started with --insecure-user-id.
import { useState } from "react";
import { useWsc } from "wsc-client/react";

export function Chat({ me, peer }: { me: string; peer: string }) {
  const { state, messages, send, error } = useWsc({ url: `ws://localhost:8080/ws?user_id=${me}` });
  const [text, setText] = useState("");
  const [receipts, setReceipts] = useState<string[]>([]);

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    const content = text;
    setText("");
    const r = await send({ receiver: peer, content, require_ack: true }); // queued while offline
    setReceipts((all) => [...all, `${content}: ${r?.status ?? "sent"}`]);
  }

  return (
    <div>
      <p>
        {me} is {state} {error && <em>({error.code})</em>}
      </p>
      <ul>
        {messages.map((m) => (
          <li key={m.message_id}>
            <b>{m.sender}</b>: {m.content}
          </li>
        ))}
      </ul>
      <ul>
        {receipts.map((r, i) => (
          <li key={i}>{r}</li>
        ))}
      </ul>
      <form onSubmit={submit}>
        <input value={text} onChange={(e) => setText(e.target.value)} placeholder={`message ${peer}`} />
      </form>
    </div>
  );
}
