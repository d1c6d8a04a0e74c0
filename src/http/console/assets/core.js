// The console's core: sign-in (the token lives in this tab's sessionStorage), the API client
// (every permission is the API's; the page only hides what /me says the role may not do),
// strings and times, the one /live/status stream every page listens to, and the router.
"use strict";
const C = {
  token: sessionStorage.getItem("outcall.token") || "",
  me: null,
  lang: localStorage.getItem("outcall.lang") || document.documentElement.lang || "en",
  pages: {},
  statusListeners: [],
  lastStatus: null,
  cleanup: [],
};

function t(key, vars) {
  const table = STRINGS[C.lang] || STRINGS.en;
  let s = table[key] ?? STRINGS.en[key] ?? key;
  for (const [k, v] of Object.entries(vars || {})) s = s.split("{" + k + "}").join(String(v));
  return s;
}
// A value's label when the table has one ("status.running"), else the value itself.
function tv(prefix, value) {
  const key = prefix + "." + value;
  return (STRINGS[C.lang] || STRINGS.en)[key] ? t(key) : value;
}
function can(action) { return !!C.me && C.me.may.includes(action); }

// el("td", {class: "x"}, "text", child): text always goes in as text, never as markup.
function el(tag, attrs, ...kids) {
  const svg = ["svg", "rect", "line", "text", "g", "path", "title", "polyline"].includes(tag);
  const e = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const kid of kids.flat()) {
    if (kid === null || kid === undefined) continue;
    e.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return e;
}
function labelled(id, text, input) {
  input.id = id;
  return el("div", { class: "field" }, el("label", { for: id }, text), input);
}

function fmtTime(iso, zone) {
  if (!iso) return t("none");
  const tz = zone || Intl.DateTimeFormat().resolvedOptions().timeZone;
  let text;
  try {
    text = new Intl.DateTimeFormat(C.lang === "ru" ? "ru-RU" : "en-GB", {
      timeZone: tz, dateStyle: "medium", timeStyle: "short",
    }).format(new Date(iso));
  } catch (_) { text = iso; }
  return t("in_zone", { time: text, zone: tz });
}

function toast(msg, bad) {
  const box = document.getElementById("toast");
  box.textContent = msg;
  box.className = bad ? "show bad" : "show";
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { box.className = ""; }, 6000);
}

class ApiError extends Error {
  constructor(status, detail) { super(detail); this.status = status; }
}

async function api(method, path, body, type) {
  const headers = { Authorization: "Bearer " + C.token };
  let payload = body;
  if (body !== undefined && type === undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  } else if (type) headers["Content-Type"] = type;
  const res = await fetch(path, { method, headers, body: payload });
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (_) { data = text; }
  if (!res.ok) throw new ApiError(res.status, (data && data.detail) || res.statusText);
  return data;
}
const enc = encodeURIComponent;

// A file from the API, saved under `name` (the token goes in the header, not the URL).
async function download(path, name) {
  const res = await fetch(path, { headers: { Authorization: "Bearer " + C.token } });
  if (!res.ok) throw new ApiError(res.status, res.statusText);
  const url = URL.createObjectURL(await res.blob());
  const a = el("a", { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// Server-Sent Events read with fetch (EventSource cannot send the token). `on(event, data)`;
// reconnects after a failure until `stop()`.
function sse(path, on) {
  const ctl = new AbortController();
  let stopped = false;
  (async function run() {
    while (!stopped) {
      try {
        const res = await fetch(path, { headers: { Authorization: "Bearer " + C.token }, signal: ctl.signal });
        if (!res.ok) throw new ApiError(res.status, res.statusText);
        document.body.classList.remove("offline");
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let cut;
          while ((cut = buf.indexOf("\n\n")) >= 0) {
            const block = buf.slice(0, cut);
            buf = buf.slice(cut + 2);
            let event = "message", data = "";
            for (const line of block.split("\n")) {
              if (line.startsWith("event:")) event = line.slice(6).trim();
              else if (line.startsWith("data:")) data += line.slice(5).replace(/^ /, "");
            }
            if (data) { try { on(event, JSON.parse(data)); } catch (_) { on(event, data); } }
          }
        }
      } catch (e) {
        if (stopped) return;
        if (e instanceof ApiError && (e.status === 401 || e.status === 403)) return;
      }
      if (stopped) return;
      document.body.classList.add("offline");
      await new Promise((r) => setTimeout(r, 1000));
    }
  })();
  return () => { stopped = true; ctl.abort(); };
}

// The page's one status stream; pages listen with onStatus (dropped on navigation).
function onStatus(fn) {
  C.statusListeners.push(fn);
  if (C.lastStatus) fn(C.lastStatus);
}
function startStatus() {
  if (C.stopStatus) C.stopStatus();
  C.stopStatus = sse("/live/status", (event, data) => {
    if (event !== "status") return;
    C.lastStatus = data;
    for (const fn of C.statusListeners) fn(data);
  });
}
function onLeave(fn) { C.cleanup.push(fn); }

function translate() {
  document.documentElement.lang = C.lang;
  for (const n of document.querySelectorAll("[data-t]")) n.textContent = t(n.dataset.t);
  document.getElementById("lang").value = C.lang;
}

function showNav() {
  const nav = document.getElementById("nav");
  nav.hidden = !C.me;
  for (const a of nav.querySelectorAll("[data-need]")) a.hidden = !can(a.dataset.need);
  document.getElementById("signout").hidden = !C.me;
  document.getElementById("who").textContent = C.me ? t("who", { name: C.me.name, role: tv("role", C.me.role) }) : "";
}

async function signIn(token) {
  C.token = token;
  C.me = await api("GET", "/me");
  sessionStorage.setItem("outcall.token", token);
  showNav();
  startStatus();
}

function signOut() {
  sessionStorage.removeItem("outcall.token");
  C.token = "";
  C.me = null;
  if (C.stopStatus) C.stopStatus();
  C.lastStatus = null;
  location.hash = "";
  route();
}

async function route() {
  for (const fn of C.cleanup.splice(0)) fn();
  C.statusListeners = [];
  const view = document.getElementById("view");
  const form = document.getElementById("signin");
  view.replaceChildren();
  form.hidden = !!C.me;
  showNav();
  if (!C.me) { document.getElementById("token").focus(); return; }
  const [page, ...rest] = (location.hash.replace(/^#\//, "").split("?")[0] || "campaigns").split("/");
  const show = C.pages[page] || C.pages.campaigns;
  for (const a of document.querySelectorAll("#nav a")) {
    if (a.getAttribute("href") === "#/" + page) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  try {
    await show(view, decodeURIComponent(rest.join("/")));
  } catch (e) {
    view.append(el("p", { class: "error", role: "alert" }, t("error", { why: e.message })));
  }
  const h = view.querySelector("h1");
  if (h) { h.tabIndex = -1; h.focus(); }
}

// A stacked bar of counts (contacts by status); each part labelled for screen readers.
function stackBar(counts, prefix) {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const bar = el("div", { class: "bar", role: "img" });
  const words = [];
  for (const [k, n] of Object.entries(counts)) {
    if (!n) continue;
    const part = el("span", { class: "seg s-" + k, title: tv(prefix, k) + ": " + n });
    part.style.width = (100 * n / total).toFixed(2) + "%";
    bar.append(part);
    words.push(tv(prefix, k) + " " + n);
  }
  bar.setAttribute("aria-label", words.join(", ") || t("none"));
  return el("div", { class: "progress" }, bar, el("small", {}, words.join(" · ")));
}

window.addEventListener("hashchange", route);
window.addEventListener("DOMContentLoaded", async () => {
  translate();
  document.getElementById("lang").addEventListener("change", (e) => {
    C.lang = e.target.value;
    localStorage.setItem("outcall.lang", C.lang);
    translate();
    route();
  });
  document.getElementById("signout").addEventListener("click", signOut);
  document.getElementById("signin").addEventListener("submit", async (e) => {
    e.preventDefault();
    const err = document.getElementById("signin-error");
    err.textContent = "";
    try {
      await signIn(document.getElementById("token").value.trim());
      document.getElementById("token").value = "";
      route();
    } catch (x) {
      C.me = null;
      err.textContent = t("signin.bad", { why: x.message });
    }
  });
  if (C.token) { try { await signIn(C.token); } catch (_) { C.me = null; } }
  route();
});
