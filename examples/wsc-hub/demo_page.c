/* SPDX-License-Identifier: MIT */
/* The demo chat page served at / by wsc-hub: plain HTML and JavaScript, no external assets.
 * Two browser tabs connect as two users (?user_id=, trusted only with --insecure-user-id, or
 * a JWT) and exchange frames; every received frame is logged.  The text is kept in chunks
 * below the 4095-byte string literal limit of ISO C and joined around the WebSocket path. */
#include <stdlib.h>
#include <string.h>

#include "api.h"

/* The page up to the WebSocket path (inside a JavaScript string literal). */
static const char *const page_head[] = {
    "<!doctype html>\n"
    "<html lang=\"en\">\n"
    "<head>\n"
    "<meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>wsc demo chat</title>\n"
    "<link rel=\"icon\" href=\"data:,\">\n"
    "<style>\n"
    "body { font: 15px/1.4 system-ui, sans-serif; margin: 1.5em auto; max-width: 60em; padding: 0 "
    "1em; }\n"
    "fieldset { border: 1px solid #ccc; border-radius: 6px; margin: 0 0 1em; }\n"
    "label { display: inline-block; margin: .3em 1em .3em 0; }\n"
    "input[type=text] { padding: .25em; }\n"
    "button { padding: .3em 1em; }\n"
    "#state { font-weight: bold; }\n"
    "#log { border: 1px solid #ccc; border-radius: 6px; height: 24em; overflow-y: auto;\n"
    "       font: 13px/1.35 ui-monospace, monospace; padding: .5em; white-space: pre-wrap; }\n"
    ".in { color: #064; } .out { color: #036; } .sys { color: #666; } .err { color: #a00; }\n"
    ".hint { color: #555; }\n"
    "</style>\n"
    "</head>\n"
    "<body>\n"
    "<h1>wsc demo chat</h1>\n"
    "<p class=\"hint\">Open this page in two browser tabs, connect as two different users and "
    "send\n"
    "messages from one to the other. Identity comes from <code>?user_id=</code>, which the hub\n"
    "trusts only when started with <code>--insecure-user-id</code>; with a JWT secret configured,\n"
    "paste a token instead.</p>\n"
    "<fieldset>\n"
    "<legend>Connection</legend>\n"
    "<label>User id <input type=\"text\" id=\"uid\" value=\"alice\"></label>\n"
    "<label>JWT (optional) <input type=\"text\" id=\"token\" size=\"24\"></label>\n"
    "<button id=\"connect\">Connect</button>\n"
    "<span id=\"state\">disconnected</span>\n"
    "</fieldset>\n"
    "<fieldset>\n"
    "<legend>Send</legend>\n"
    "<label>To user <input type=\"text\" id=\"to\" value=\"bob\"></label>\n"
    "<label><input type=\"checkbox\" id=\"everyone\"> everyone (broadcast users only)</label>\n"
    "<label><input type=\"checkbox\" id=\"ack\"> require ACK</label><br>\n"
    "<label>Message <input type=\"text\" id=\"text\" size=\"50\"></label>\n"
    "<button id=\"send\" disabled>Send</button>\n"
    "</fieldset>\n"
    "<h2>Frames</h2>\n"
    "<div id=\"log\"></div>\n"
    "<script>\n"
    "\"use strict\";\n"
    "const WS_PATH = \"",
};

/* The rest of the page. */
static const char *const page_tail[] = {
    "\";\n"
    "let ws = null;\n"
    "const $ = (id) => document.getElementById(id);\n"
    "\n"
    "function log(kind, text) {\n"
    "  const line = document.createElement(\"div\");\n"
    "  line.className = kind;\n"
    "  line.textContent = new Date().toLocaleTimeString() + \"  \" + kind + \"  \" + text;\n"
    "  $(\"log\").prepend(line);\n"
    "}\n"
    "\n"
    "function setState(text, open) {\n"
    "  $(\"state\").textContent = text;\n"
    "  $(\"send\").disabled = !open;\n"
    "  $(\"connect\").textContent = ws ? \"Disconnect\" : \"Connect\";\n"
    "}\n"
    "\n"
    "function wsUrl() {\n"
    "  const q = new URLSearchParams();\n"
    "  const token = $(\"token\").value.trim();\n"
    "  if (token) q.set(\"token\", token);\n"
    "  else q.set(\"user_id\", $(\"uid\").value.trim());\n"
    "  const scheme = location.protocol === \"https:\" ? \"wss:\" : \"ws:\";\n"
    "  return scheme + \"//\" + location.host + WS_PATH + \"?\" + q.toString();\n"
    "}\n"
    "\n"
    "function onFrame(ev) {\n"
    "  if (typeof ev.data !== \"string\") {\n"
    "    log(\"in\", \"[binary frame, \" + ev.data.byteLength + \" bytes]\");\n"
    "    return;\n"
    "  }\n"
    "  let f = null;\n"
    "  try { f = JSON.parse(ev.data); } catch (e) { log(\"err\", \"not JSON: \" + ev.data); "
    "return; }\n"
    "  log(f.message_type === \"error\" ? \"err\" : \"in\", ev.data);\n"
    "  if (f.message_type === \"connected\" && f.data) setState(\"connected as \" + "
    "f.data.user_id, true);\n"
    "  if (f.require_ack && f.message_id) {\n"
    "    const ack = JSON.stringify({ message_type: \"ack\", message_id: f.message_id });\n"
    "    ws.send(ack);\n"
    "    log(\"out\", ack);\n"
    "  }\n"
    "}\n"
    "\n"
    "function connect() {\n"
    "  if (ws) { ws.close(1000, \"bye\"); return; }\n"
    "  if (!$(\"uid\").value.trim() && !$(\"token\").value.trim()) { log(\"err\", \"enter a user "
    "id\"); return; }\n"
    "  ws = new WebSocket(wsUrl());\n"
    "  ws.binaryType = \"arraybuffer\";\n"
    "  setState(\"connecting...\", false);\n"
    "  ws.onopen = () => setState(\"connected\", true);\n"
    "  ws.onmessage = onFrame;\n"
    "  ws.onerror = () => log(\"err\", \"connection error (does the hub run with "
    "--insecure-user-id?)\");\n"
    "  ws.onclose = (ev) => {\n"
    "    log(\"sys\", \"closed: \" + ev.code + (ev.reason ? \" \" + ev.reason : \"\"));\n"
    "    ws = null;\n"
    "    setState(\"disconnected\", false);\n"
    "  };\n"
    "}\n"
    "\n"
    "function send() {\n"
    "  if (!ws) return;\n"
    "  const frame = { message_type: \"text\", content: $(\"text\").value };\n"
    "  if ($(\"everyone\").checked) frame.broadcast_type = \"global\";\n"
    "  else frame.receiver = $(\"to\").value.trim();\n"
    "  if ($(\"ack\").checked) {\n"
    "    frame.require_ack = true;\n"
    "    frame.message_id = \"web-\" + Date.now() + \"-\" + Math.random().toString(36).slice(2, "
    "8);\n"
    "  }\n"
    "  const text = JSON.stringify(frame);\n"
    "  ws.send(text);\n"
    "  log(\"out\", text);\n"
    "  $(\"text\").value = \"\";\n"
    "}\n"
    "\n"
    "$(\"connect\").onclick = connect;\n"
    "$(\"send\").onclick = send;\n"
    "$(\"text\").addEventListener(\"keydown\", (e) => { if (e.key === \"Enter\") send(); });\n"
    "</script>\n"
    "</body>\n"
    "</html>\n",
};

static size_t
parts_len(const char *const *parts, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += strlen(parts[i]);
    return len;
}

static char *
append_parts(char *p, const char *const *parts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(parts[i]);
        memcpy(p, parts[i], l);
        p += l;
    }
    return p;
}

char *
wsc_hubd_demo_page(const char *ws_path, size_t *len)
{
    const size_t nh = sizeof(page_head) / sizeof(page_head[0]);
    const size_t nt = sizeof(page_tail) / sizeof(page_tail[0]);
    if (ws_path == NULL)
        ws_path = "/ws";
    size_t plen = strlen(ws_path);
    size_t total = parts_len(page_head, nh) + plen + parts_len(page_tail, nt);
    char *page = malloc(total + 1);
    if (page == NULL)
        return NULL;
    char *p = append_parts(page, page_head, nh);
    memcpy(p, ws_path, plen);
    p = append_parts(p + plen, page_tail, nt);
    *p = '\0';
    *len = total;
    return page;
}
