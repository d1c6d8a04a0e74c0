// The campaigns list and one campaign's page: status, progress, controls (start, pause with a
// reason, resume, stop with a confirmation), the week grid, limits, retry rules, the script as
// a graph, live calls and results with filters and CSV export.
"use strict";
const DAY_KEYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const plans = {};
async function planOf(name) {
  if (!plans[name]) plans[name] = api("GET", "/campaigns/" + enc(name) + "/plan").catch((e) => ({ error: e.message }));
  return plans[name];
}
function dispositions(attempts) {
  const parts = Object.entries(attempts || {}).map(([k, n]) => tv("disp", k) + " " + n);
  return parts.length ? parts.join(", ") : t("none");
}
function nextWindow(plan) {
  if (!plan || plan.error) return t("none");
  if (plan.open_now) return t("open_now");
  return plan.next_open ? fmtTime(plan.next_open, plan.timezone) : t("never");
}

C.pages.campaigns = async (view) => {
  const tbody = el("tbody");
  view.append(el("h1", {}, t("campaigns.title")),
    el("table", { class: "grid", id: "campaigns" },
      el("thead", {}, el("tr", {}, ["col.name", "col.status", "col.progress", "col.dispositions", "col.lines", "col.next"].map((k) => el("th", { scope: "col" }, t(k))))),
      tbody));
  const rows = {};
  onStatus(async (st) => {
    if (!st.campaigns.length) { for (const k of Object.keys(rows)) delete rows[k]; tbody.replaceChildren(el("tr", {}, el("td", { colspan: 6 }, t("campaigns.none")))); return; }
    for (const gone of Object.keys(rows).filter((n) => !st.campaigns.some((c) => c.name === n))) {
      rows[gone].tr.remove();
      delete rows[gone];
    }
    for (const c of st.campaigns) {
      let r = rows[c.name];
      if (!r) {
        r = rows[c.name] = { tr: el("tr", { "data-campaign": c.name }) };
        tbody.append(r.tr);
        r.plan = await planOf(c.name);
      }
      if (tbody.firstChild && !tbody.firstChild.dataset.campaign) tbody.firstChild.remove();
      const lines = r.plan && !r.plan.error ? (c.contacts.dialing || 0) + " / " + r.plan.lines : String(c.contacts.dialing || 0);
      r.tr.dataset.status = c.status;
      r.tr.replaceChildren(
        el("th", { scope: "row" }, el("a", { href: "#/campaign/" + enc(c.name) }, c.name)),
        el("td", { class: "status st-" + c.status }, tv("status", c.status), c.status_reason ? el("small", {}, " — " + c.status_reason) : null),
        el("td", {}, stackBar(c.contacts, "cs")),
        el("td", {}, dispositions(c.attempts)),
        el("td", { class: "num" }, lines),
        el("td", {}, nextWindow(r.plan)));
    }
  });
};

function controls(name, box) {
  const reason = el("input", { type: "text", maxlength: 200 });
  const act = async (what, body) => {
    try {
      const r = await api("POST", "/campaigns/" + enc(name) + "/" + what, body);
      toast(t("done.control", { name: r.name, from: tv("status", r.from), to: tv("status", r.to) }));
    } catch (e) { toast(t("error", { why: e.message }), true); }
  };
  const b = {
    start: el("button", { type: "button", id: "btn-start", onclick: () => act("start") }, t("btn.start")),
    pause: el("button", {
      type: "button", id: "btn-pause", onclick: () => {
        if (!reason.value.trim()) { toast(t("pause.need"), true); reason.focus(); return; }
        act("pause", { reason: reason.value.trim() });
      },
    }, t("btn.pause")),
    resume: el("button", { type: "button", id: "btn-resume", onclick: () => act("resume") }, t("btn.resume")),
    stop: el("button", {
      type: "button", id: "btn-stop", class: "danger",
      onclick: () => { if (confirm(t("stop.confirm", { name }))) act("stop"); },
    }, t("btn.stop")),
  };
  box.append(el("h2", {}, t("campaign.controls")), el("div", { class: "row" },
    b.start, labelled("pause-reason", t("pause.reason"), reason), b.pause, b.resume, b.stop));
  return (status) => {
    b.start.disabled = !["draft", "scheduled", "completed"].includes(status);
    b.pause.disabled = !["running", "scheduled"].includes(status);
    b.resume.disabled = status !== "paused";
    b.stop.disabled = ["completed", "cancelled"].includes(status);
  };
}

function weekGrid(plan) {
  const W = 720, rowH = 22, left = 40, top = 18;
  const x = (hhmm) => { const [h, m] = hhmm.split(":").map(Number); return left + (W - left) * (h * 60 + m) / 1440; };
  const svg = el("svg", { viewBox: "0 0 " + W + " " + (top + 7 * rowH + 4), class: "week", role: "img", "aria-labelledby": "week-title" },
    el("title", { id: "week-title" }, t("plan.week", { zone: plan.timezone })));
  for (let h = 0; h <= 24; h += 3) {
    svg.append(el("text", { x: x(h + ":00"), y: 12, class: "tick" }, String(h)),
      el("line", { x1: x(h + ":00"), x2: x(h + ":00"), y1: top, y2: top + 7 * rowH, class: "hour" }));
  }
  const words = [];
  plan.week.forEach((d, i) => {
    const y = top + i * rowH;
    svg.append(el("text", { x: 2, y: y + 15, class: "day" }, t("days." + d.day)));
    for (const s of d.open) svg.append(el("rect", { x: x(s.from), y: y + 3, width: x(s.to) - x(s.from), height: rowH - 6, class: "open" }, el("title", {}, s.from + "–" + s.to)));
    for (const s of d.breaks) svg.append(el("rect", { x: x(s.from), y: y + 3, width: x(s.to) - x(s.from), height: rowH - 6, class: "brk" }, el("title", {}, t("plan.break") + " " + s.from + "–" + s.to)));
    const open = d.open.map((s) => s.from + "–" + s.to).join(", ") || t("plan.closed");
    const brk = d.breaks.length ? " (" + t("plan.break") + " " + d.breaks.map((s) => s.from + "–" + s.to).join(", ") + ")" : "";
    words.push(el("li", {}, t("days." + d.day) + ": " + open + brk));
  });
  return el("div", {}, svg, el("ul", { class: "days" }, words));
}

// The call script as a graph: columns by distance from the start node, arrows by exit.
function scriptGraph(plan) {
  const byName = Object.fromEntries(plan.nodes.map((n) => [n.name, n]));
  const depth = { [plan.script_start]: 0 };
  const queue = [plan.script_start];
  while (queue.length) {
    const n = byName[queue.shift()];
    for (const e of (n ? n.exits : [])) if (e.to && depth[e.to] === undefined) { depth[e.to] = depth[n.name] + 1; queue.push(e.to); }
  }
  const maxD = Math.max(0, ...Object.values(depth));
  for (const n of plan.nodes) if (depth[n.name] === undefined) depth[n.name] = maxD + 1;
  const cols = {};
  for (const n of plan.nodes) (cols[depth[n.name]] = cols[depth[n.name]] || []).push(n.name);
  const BW = 150, BH = 44, GX = 70, GY = 26, pos = {};
  let rowsMax = 0;
  for (const [d, names] of Object.entries(cols)) {
    names.forEach((name, i) => { pos[name] = { x: 10 + d * (BW + GX), y: 10 + i * (BH + GY) }; });
    rowsMax = Math.max(rowsMax, names.length);
  }
  const W = 20 + (Object.keys(cols).length) * (BW + GX), H = 20 + rowsMax * (BH + GY);
  const svg = el("svg", { viewBox: "0 0 " + W + " " + H, class: "script", role: "img", "aria-labelledby": "script-title" },
    el("title", { id: "script-title" }, t("plan.script")));
  const list = [];
  for (const n of plan.nodes) {
    const p = pos[n.name];
    n.exits.forEach((e, k) => {
      if (!e.to || !pos[e.to]) return;
      const q = pos[e.to], back = q.x <= p.x;
      const x1 = p.x + BW, y1 = p.y + BH / 2, x2 = back ? q.x + BW / 2 : q.x, y2 = back ? q.y + BH : q.y + BH / 2;
      svg.append(el("path", { d: "M" + x1 + "," + y1 + " C" + (x1 + 30) + "," + y1 + " " + (x2 - 30) + "," + y2 + " " + x2 + "," + y2, class: "edge" }),
        el("text", { x: x1 + 4, y: y1 - 4 + k * 11, class: "exit" }, e.name));
    });
    svg.append(el("g", { class: "node k-" + n.kind + (n.name === plan.script_start ? " start" : "") },
      el("rect", { x: p.x, y: p.y, width: BW, height: BH, rx: 6 }),
      el("text", { x: p.x + 8, y: p.y + 18, class: "nname" }, n.name),
      el("text", { x: p.x + 8, y: p.y + 35, class: "nkind" }, n.kind),
      el("title", {}, n.text || n.kind)));
    list.push(el("li", {}, n.name + " (" + n.kind + ")" + (n.text ? ": " + n.text : "") + " → " +
      (n.exits.map((e) => e.name + " → " + (e.to || t("exit.end"))).join("; ") || t("exit.end"))));
  }
  return el("div", { class: "scroll" }, svg, el("details", {}, el("summary", {}, t("plan.script")), el("ul", {}, list)));
}

function dl(pairs) {
  return el("dl", {}, pairs.flatMap(([k, v]) => [el("dt", {}, t(k)), el("dd", {}, v)]));
}

function planSection(plan) {
  const zone = plan.subscriber_local_time ? t("plan.contact_zone", { zone: plan.timezone }) : plan.timezone;
  const r = plan.retry;
  return el("section", { id: "plan" },
    el("h2", {}, t("plan.schedule")),
    el("p", {}, t("col.timezone") + ": " + zone + " · " + t("col.next") + ": " + nextWindow(plan)),
    weekGrid(plan),
    dl([["plan.start", fmtTime(plan.start, plan.timezone)], ["plan.end", fmtTime(plan.end, plan.timezone)],
      ["plan.holidays", plan.holidays.join(", ") || t("plan.none")], ["plan.cron", plan.cron || t("plan.none")]]),
    el("div", { class: "cols" },
      el("div", {}, el("h2", {}, t("plan.limits")), dl([["plan.lines", plan.lines], ["plan.cps", plan.cps]])),
      el("div", {}, el("h2", {}, t("plan.retry")), dl([["plan.max_attempts", r.max_attempts], ["plan.recall", r.recall_interval],
        ["plan.retry_on", r.retry_on.map((d) => tv("disp", d)).join(", ") || t("plan.none")],
        ["plan.min_success", r.min_success_seconds], ["plan.backoff", r.technical_backoff + " … " + r.technical_backoff_max],
        ["plan.pause_after", r.pause_after_technical_errors]]))),
    el("h2", {}, t("plan.script")), scriptGraph(plan));
}

// Live calls of this campaign from /live (call events); at most LIVE_SHOWN rows are drawn.
const LIVE_SHOWN = 50;
function liveCalls(name, box, tz) {
  const calls = new Map();
  const head = el("p", { id: "live-count" });
  const tbody = el("tbody");
  box.append(el("h2", {}, t("live.title")), head, el("table", { class: "grid" },
    el("thead", {}, el("tr", {}, ["col.phone", "col.contact", "col.node", "col.stage", "col.since"].map((k) => el("th", { scope: "col" }, t(k))))), tbody));
  let dirty = true;
  const draw = () => {
    if (!dirty) return;
    dirty = false;
    const all = [...calls.values()];
    head.textContent = all.length ? t("live.count", { n: all.length }) + (all.length > LIVE_SHOWN ? " (" + t("live.shown", { n: LIVE_SHOWN }) + ")" : "") : t("live.none");
    tbody.replaceChildren(...all.slice(-LIVE_SHOWN).reverse().map((c) => el("tr", {},
      el("td", {}, c.phone), el("td", {}, c.contact), el("td", {}, c.node), el("td", {}, c.stage), el("td", {}, fmtTime(c.at, tz)))));
  };
  const timer = setInterval(draw, 500);
  const stop = sse("/live", (event, ev) => {
    if (event !== "call" || ev.campaign !== name) return;
    if (ev.stage === "ended") calls.delete(ev.contact);
    else calls.set(ev.contact, ev);
    dirty = true;
  });
  onLeave(() => { clearInterval(timer); stop(); });
  draw();
}

C.pages.campaign = async (view, name) => {
  const head = el("div", { id: "campaign-head" });
  view.append(el("h1", {}, t("campaign.title", { name })), head);
  let setButtons = () => {};
  if (can("control")) { const box = el("section", { id: "controls" }); view.append(box); setButtons = controls(name, box); }
  const plan = await planOf(name);
  onStatus((st) => {
    const c = st.campaigns.find((x) => x.name === name);
    if (!c) return;
    head.dataset.status = c.status;
    head.replaceChildren(
      el("p", { class: "status st-" + c.status, id: "campaign-status" }, tv("status", c.status), c.status_reason ? " — " + c.status_reason : ""),
      stackBar(c.contacts, "cs"),
      el("p", {}, t("col.dispositions") + ": " + dispositions(c.attempts) + " · " + t("col.streak") + ": " + c.technical_streak,
        can("live_read") ? null : " · " + t("live.no_right", { n: c.contacts.dialing || 0 })));
    setButtons(c.status);
  });
  if (plan.error) view.append(el("p", { class: "error" }, t("plan.bad", { why: plan.error })));
  else view.append(planSection(plan));
  const tz = plan.timezone;
  if (can("live_read")) { const box = el("section", { id: "live" }); view.append(box); liveCalls(name, box, tz); }
  if (can("results_read")) { const box = el("section", { id: "results" }); view.append(box); await results(name, box, tz); }
};
