/**
 * The demo chat served by wsc-hub at `/`, built on WscClient.  Everything the page shows comes
 * from the hub: messages over WebSocket (PROTOCOL.md §2–§4), group membership and the online
 * list from the HTTP API (§7), which the demo hub serves without a key (`--insecure-api`) or
 * with the key typed into the page.  Presence is the `lobby` group: every page joins it and
 * says `presence` to it when it connects, so the others refresh their list at once (an
 * application message type, relayed like any other; not part of the protocol).
 *
 * URL parameters: `user` (connect at once as that user), `to` (open a direct conversation),
 * `group` (join and open a group).
 */
import { WscClient, type WscFrame, type WscReceipt, type WscState } from "../src/index.js";

declare const WS_PATH: string; /* spliced in by wsc-hub (see build-demo.mjs) */

const LOBBY = "lobby";
const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

interface Bubble {
  el: HTMLElement;
  status: HTMLElement;
}
interface Conversation {
  key: string; /* "dm:<user>" or "group:<id>" */
  title: string;
  log: HTMLElement[];
  unread: number;
}

class ChatPage {
  private client: WscClient | null = null;
  private me = "";
  private apiKey = "";
  private apiOk = true;
  private convs = new Map<string, Conversation>();
  private current: string | null = null;
  private groups: string[] = [];
  private people = new Map<string, boolean>();
  private presenceTimer: ReturnType<typeof setInterval> | undefined;

  start(): void {
    const q = new URLSearchParams(location.search);
    $<HTMLInputElement>("uid").value = q.get("user") ?? localStorage.getItem("wsc-demo-user") ?? "";
    $("login").addEventListener("submit", (e) => {
      e.preventDefault();
      this.login();
    });
    $("composer").addEventListener("submit", (e) => {
      e.preventDefault();
      void this.sendTyped();
    });
    $("group-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const g = $<HTMLInputElement>("group-name").value.trim();
      $<HTMLInputElement>("group-name").value = "";
      if (g) void this.joinGroup(g, true);
    });
    $("dm-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const u = $<HTMLInputElement>("dm-to").value.trim();
      $<HTMLInputElement>("dm-to").value = "";
      if (u) this.open("dm:" + u);
    });
    $("logout").addEventListener("click", () => this.logout());
    if (q.get("user")) this.login(q.get("to"), q.get("group"));
  }

  /* --- connection ----------------------------------------------------------------------- */

  private login(to?: string | null, group?: string | null): void {
    const uid = $<HTMLInputElement>("uid").value.trim();
    const token = $<HTMLInputElement>("token").value.trim();
    this.apiKey = $<HTMLInputElement>("apikey").value.trim();
    if (!uid && !token) return this.notice("Enter a user id (or a JWT).");
    this.me = uid;
    localStorage.setItem("wsc-demo-user", uid);
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const url = new URL(scheme + "//" + location.host + WS_PATH);
    if (!token) url.searchParams.set("user_id", uid);
    const c = new WscClient({
      url: url.toString(),
      token: token || undefined,
      backoff: { initialMs: 250, maxMs: 4000 },
      keepalive: { intervalMs: 15000, timeoutMs: 10000 },
    });
    this.client = c;
    this.groups = JSON.parse(localStorage.getItem("wsc-demo-groups:" + uid) ?? "[]");
    c.on("state", (s) => this.onState(s));
    c.on("message", (f) => this.onMessage(f));
    c.on("error", (e) => this.notice(e.code + (e.reason ? ": " + e.reason : ""), e.code));
    c.on("frame", (f) => this.debug(f.dir, f.text));
    document.body.dataset.view = "chat";
    $("me").textContent = uid || "(JWT)";
    this.renderGroups();
    c.connect();
    if (group) void this.joinGroup(group, true);
    else if (to) this.open("dm:" + to);
    window.addEventListener("pagehide", () => this.sayPresence(false));
  }

  private logout(): void {
    this.sayPresence(false);
    this.client?.close();
    this.client = null;
    clearInterval(this.presenceTimer);
    document.body.dataset.view = "login";
  }

  private onState(s: WscState): void {
    const el = $("state");
    el.dataset.state = s;
    el.textContent = s === "open" ? "online" : s;
    this.updateQueued();
    if (s === "open") {
      this.me = this.client?.session?.user_id ?? this.me;
      $("me").textContent = this.me;
      $("notice").textContent = "";
      void this.afterOpen();
    } else {
      clearInterval(this.presenceTimer);
    }
  }

  /* Memberships live in the hub's memory: after a hub restart they are set again. */
  private async afterOpen(): Promise<void> {
    for (const g of [LOBBY, ...this.groups]) await this.api("POST", `/groups/${enc(g)}/members`, { user_ids: [this.me] });
    this.sayPresence(true);
    void this.refreshPeople();
    clearInterval(this.presenceTimer);
    this.presenceTimer = setInterval(() => void this.refreshPeople(), 5000);
  }

  private sayPresence(online: boolean): void {
    if (this.client?.state !== "open") return;
    void this.client.send({ message_type: "presence", group_ids: [LOBBY], data: { online } });
  }

  /** One call of the HTTP API; null when it failed (the page then says how to enable it). */
  private async api(method: string, path: string, body?: unknown): Promise<any> {
    const headers: Record<string, string> = { "Content-Type": "application/json" };
    if (this.apiKey) headers.Authorization = "Bearer " + this.apiKey;
    try {
      const res = await fetch("/api" + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
      this.apiOk = res.status !== 401;
      if (!this.apiOk)
        this.notice("The online list and groups need the hub's HTTP API: start it with --insecure-api, or type its key.");
      return res.ok ? await res.json() : null;
    } catch {
      return null;
    }
  }

  /* --- presence and groups --------------------------------------------------------------- */

  private async refreshPeople(): Promise<void> {
    const members = await this.api("GET", `/groups/${LOBBY}/members`);
    if (!members) return;
    const ids: string[] = (members.user_ids ?? []).filter((u: string) => u !== this.me);
    const states = await Promise.all(ids.map((u) => this.api("GET", `/users/${enc(u)}`)));
    this.people = new Map(ids.map((u, i) => [u, Boolean(states[i]?.online)]));
    this.renderPeople();
  }

  private renderPeople(): void {
    const list = $("people");
    list.replaceChildren();
    const sorted = [...this.people].sort((a, b) => Number(b[1]) - Number(a[1]) || a[0].localeCompare(b[0]));
    for (const [u, online] of sorted) {
      const li = this.convItem("dm:" + u, u);
      li.dataset.user = u;
      li.dataset.online = String(online);
      list.append(li);
    }
    if (sorted.length === 0) list.append(hint(this.apiOk ? "nobody else yet" : "needs the HTTP API"));
  }

  private async joinGroup(g: string, openIt: boolean): Promise<void> {
    if (!this.groups.includes(g)) {
      this.groups.push(g);
      localStorage.setItem("wsc-demo-groups:" + this.me, JSON.stringify(this.groups));
    }
    if (this.client?.state === "open") await this.api("POST", `/groups/${enc(g)}/members`, { user_ids: [this.me] });
    this.renderGroups();
    if (openIt) this.open("group:" + g);
  }

  private renderGroups(): void {
    const list = $("groups");
    list.replaceChildren();
    for (const g of this.groups) {
      const li = this.convItem("group:" + g, "#" + g);
      li.dataset.group = g;
      list.append(li);
    }
  }

  private convItem(key: string, label: string): HTMLElement {
    const li = document.createElement("li");
    const b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    const n = this.convs.get(key)?.unread ?? 0;
    if (n > 0) {
      const badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = String(n);
      b.append(badge);
    }
    if (key === this.current) li.className = "current";
    b.addEventListener("click", () => this.open(key));
    li.append(b);
    return li;
  }

  /* --- conversations --------------------------------------------------------------------- */

  private conv(key: string): Conversation {
    let c = this.convs.get(key);
    if (!c) {
      const title = key.startsWith("group:") ? "#" + key.slice(6) : key.slice(3);
      c = { key, title, log: [], unread: 0 };
      this.convs.set(key, c);
    }
    return c;
  }

  private open(key: string): void {
    const c = this.conv(key);
    this.current = key;
    c.unread = 0;
    $("conv-title").textContent = c.title;
    $("messages").replaceChildren(...c.log);
    $<HTMLInputElement>("text").disabled = false;
    $<HTMLButtonElement>("send").disabled = false;
    $<HTMLInputElement>("text").focus();
    document.body.dataset.conv = key;
    this.renderPeople();
    this.renderGroups();
    this.scroll();
  }

  private add(key: string, el: HTMLElement): void {
    const c = this.conv(key);
    c.log.push(el);
    if (key === this.current) {
      $("messages").append(el);
      this.scroll();
    } else {
      c.unread++;
      if (this.current === null) this.open(key);
      else {
        this.renderPeople();
        this.renderGroups();
      }
    }
  }

  private scroll(): void {
    const m = $("messages");
    m.scrollTop = m.scrollHeight;
  }

  private bubble(mine: boolean, sender: string, text: string, at: Date, offline = false): Bubble {
    const el = document.createElement("div");
    el.className = "msg " + (mine ? "mine" : "theirs") + (offline ? " offline" : "");
    const head = document.createElement("div");
    head.className = "head";
    const who = document.createElement("span");
    who.className = "sender";
    who.textContent = mine ? "you" : sender;
    const time = document.createElement("time");
    time.className = "time";
    time.dateTime = at.toISOString();
    time.textContent = at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    head.append(who, time);
    const body = document.createElement("div");
    body.className = "text";
    body.textContent = text;
    const status = document.createElement("span");
    status.className = "status";
    el.append(head, body, status);
    if (offline) status.textContent = "sent while you were away";
    return { el, status };
  }

  private onMessage(f: WscFrame): void {
    if (f.message_type === "presence") {
      void this.refreshPeople();
      return;
    }
    const sender = f.sender ?? "?";
    const group = f.group_ids?.[0];
    const key = group ? "group:" + group : "dm:" + sender;
    if (group && !this.groups.includes(group)) void this.joinGroup(group, false);
    const text = typeof f.content === "string" ? f.content : JSON.stringify(f.data ?? f);
    const at = f.create_at ? new Date(f.create_at) : new Date();
    const b = this.bubble(false, sender, text, at, f.source === "offline");
    b.el.dataset.id = f.message_id ?? "";
    this.add(key, b.el);
  }

  private async sendTyped(): Promise<void> {
    const input = $<HTMLInputElement>("text");
    const text = input.value;
    if (!text.trim() || !this.current || !this.client) return;
    input.value = "";
    const frame: WscFrame = { message_type: "text", content: text, require_ack: true };
    if (this.current.startsWith("group:")) frame.group_ids = [this.current.slice(6)];
    else frame.receiver = this.current.slice(3);
    const b = this.bubble(true, this.me, text, new Date());
    this.setStatus(b, this.client.state === "open" ? "sending" : "queued");
    this.add(this.current, b.el);
    const p = this.client.send(frame);
    this.updateQueued();
    const r = await p;
    this.setStatus(b, r ? r.status : "sent", r);
    this.updateQueued();
  }

  private setStatus(b: Bubble, status: string, r?: WscReceipt): void {
    b.el.dataset.status = status;
    const words: Record<string, string> = {
      queued: "⏳ queued until the hub is back",
      sending: "… sending",
      sent: "✓ sent",
      delivered: "✓✓ delivered",
      stored: "✓ stored for later",
      rejected: "✗ not sent",
    };
    b.status.textContent = (words[status] ?? status) + (r?.error ? " (" + r.error + ")" : "");
  }

  private updateQueued(): void {
    const n = this.client?.queued ?? 0;
    $("queued").textContent = n > 0 ? n + " waiting" : "";
  }

  private notice(text: string, code?: string): void {
    const el = $("notice");
    el.textContent = text;
    el.dataset.code = code ?? "";
  }

  private debug(dir: string, text: string): void {
    const log = $("frames");
    const line = document.createElement("div");
    line.className = dir;
    line.textContent = new Date().toLocaleTimeString() + (dir === "in" ? " ← " : " → ") + text;
    log.prepend(line);
    while (log.childElementCount > 300) log.lastElementChild?.remove();
  }
}

function enc(s: string): string {
  return encodeURIComponent(s);
}

function hint(text: string): HTMLElement {
  const li = document.createElement("li");
  li.className = "hint";
  li.textContent = text;
  return li;
}

new ChatPage().start();
