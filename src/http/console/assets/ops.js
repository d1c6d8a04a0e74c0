// The supervisor wall (running campaigns, calls/s, live calls, answer rate, technical-error
// streaks, switch health, pause all), contact search by phone, the do-not-call list and the
// audit log.
"use strict";
const ANSWERED = ["answered", "transferred", "short_call", "opted_out"];
function sum(o) { return Object.values(o || {}).reduce((a, b) => a + b, 0); }

C.pages.wall = async (view) => {
  const tbody = el("tbody");
  const nodes = el("ul", { id: "nodes", class: "nodes" });
  const head = el("div", { class: "row" }, el("h1", {}, t("wall.title")));
  if (can("pause_all")) {
    const reason = el("input", { type: "text", maxlength: 200 });
    head.append(labelled("all-reason", t("wall.reason"), reason), el("button", {
      type: "button", class: "danger", id: "btn-pause-all", onclick: async () => {
        if (!reason.value.trim()) { toast(t("pause.need"), true); reason.focus(); return; }
        if (!confirm(t("wall.confirm"))) return;
        try {
          const r = await api("POST", "/pause-all", { reason: reason.value.trim() });
          toast(t("wall.paused", { list: r.paused.join(", ") || t("none") }));
        } catch (e) { toast(t("error", { why: e.message }), true); }
      },
    }, t("wall.pause_all")));
  }
  view.append(head, el("table", { class: "grid", id: "wall" },
    el("thead", {}, el("tr", {}, ["col.name", "col.status", "col.live", "col.cps", "col.answer", "col.streak", "col.progress"].map((k) => el("th", { scope: "col" }, t(k))))),
    tbody), el("h2", {}, t("wall.nodes")), nodes);
  const prev = {};
  onStatus((st) => {
    const now = Date.parse(st.at);
    const live = st.campaigns.filter((c) => ["running", "scheduled", "paused"].includes(c.status));
    tbody.replaceChildren(...(live.length ? live.map((c) => {
      const done = sum(c.attempts), p = prev[c.name];
      const cps = p && now > p.at ? ((done - p.done) * 1000 / (now - p.at)).toFixed(1) : "…";
      prev[c.name] = { at: now, done };
      const answered = ANSWERED.reduce((a, k) => a + (c.attempts[k] || 0), 0);
      return el("tr", { "data-campaign": c.name, "data-status": c.status },
        el("th", { scope: "row" }, el("a", { href: "#/campaign/" + enc(c.name) }, c.name)),
        el("td", { class: "status st-" + c.status }, tv("status", c.status)),
        el("td", { class: "num" }, c.contacts.dialing || 0),
        el("td", { class: "num" }, cps),
        el("td", { class: "num" }, done ? Math.round(100 * answered / done) + "%" : t("none")),
        el("td", { class: "num" + (c.technical_streak >= 5 ? " warn" : "") }, c.technical_streak),
        el("td", {}, stackBar(c.contacts, "cs")));
    }) : [el("tr", {}, el("td", { colspan: 7 }, t("wall.none")))]));
    if (st.nodes) nodes.replaceChildren(...st.nodes.map((n) => el("li", { class: n.up ? "up" : "down" }, n.name + ": " + (n.up ? t("wall.up") : t("wall.down")))));
  });
};

// Why a contact is or is not being dialled now: the API's own explanation
// (/contacts/{phone}/why: its blockers and the rule that decided), else, when that cannot be
// read, what the contact's row says: its status, its campaign's status, the next attempt and
// the do-not-call list.
async function whyNow(c, camp, dnc) {
  try {
    const all = await api("GET", "/contacts/" + enc(c.phones[0]) + "/why?campaign=" + enc(camp.name));
    const w = all.find((x) => x.campaign === camp.name);
    if (w) {
      const now = w.blockers.length ? w.blockers.join("; ") : t("contacts.callable");
      // A final contact's blocker already is its rule: say it once.
      return now.includes(w.rule) ? now : now + " · " + t("contacts.rule", { rule: w.rule });
    }
  } catch (_) { /* the row's own facts below */ }
  return why(c, camp, dnc);
}
function why(c, camp, dnc) {
  if (dnc) return t("contacts.dnc");
  if (c.status === "dialing") return t("contacts.dialing");
  if (c.status === "done" || c.status === "exhausted") return t("contacts.final");
  if (camp && camp.status !== "running") return t("contacts.paused", { status: tv("status", camp.status) });
  return t("contacts.due", { time: fmtTime(c.next_attempt_at, c.timezone) });
}

C.pages.contacts = async (view) => {
  const phone = el("input", { type: "search", inputmode: "tel" });
  const out = el("div", { id: "contact-out", "aria-live": "polite" });
  const form = el("form", { class: "row" }, labelled("c-phone", t("contacts.phone"), phone),
    el("button", { type: "submit" }, t("contacts.search")));
  view.append(el("h1", {}, t("contacts.title")), form, out);
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const digits = phone.value.replace(/\D/g, "");
    if (!digits) return;
    out.replaceChildren(el("p", {}, t("loading")));
    const camps = await api("GET", "/campaigns");
    const dnc = can("dnc_read") ? new Set((await api("GET", "/dnc")).map((d) => d.phone)) : new Set();
    const found = [];
    for (const camp of camps) {
      const page = await api("GET", "/campaigns/" + enc(camp.name) + "/contacts?phone=" + enc(digits) + "&limit=20");
      for (const c of page.contacts) found.push({ c, camp });
    }
    if (!found.length) { out.replaceChildren(el("p", {}, t("contacts.none"))); return; }
    out.replaceChildren();
    for (const { c, camp } of found) {
      const reason = await whyNow(c, camp, c.phones.some((p) => dnc.has(p)));
      const attempts = can("results_read")
        ? (await api("GET", "/campaigns/" + enc(camp.name) + "/attempts?contact=" + c.id)).attempts : [];
      out.append(el("section", { class: "card contact" },
        el("h2", {}, c.name + " — " + camp.name),
        dl([["col.phone", c.phones.join(", ")], ["col.status", tv("cs", c.status)], ["col.attempts", c.attempts],
          ["col.next_attempt", c.status === "pending" ? fmtTime(c.next_attempt_at, c.timezone) : t("none")],
          ["col.disposition", c.last_disposition ? tv("disp", c.last_disposition) : t("none")],
          ["contacts.why", reason]]),
        el("h3", {}, t("contacts.attempts")),
        attempts.length ? el("table", { class: "grid" },
          el("thead", {}, el("tr", {}, ["col.started", "col.phone", "col.node", "col.disposition", "col.cause", "col.talk", "col.heard"].map((k) => el("th", { scope: "col" }, t(k))))),
          el("tbody", {}, attempts.map((a) => el("tr", {}, el("td", {}, fmtTime(a.started_at, c.timezone)), el("td", {}, a.phone), el("td", {}, a.node),
            el("td", {}, a.disposition ? tv("disp", a.disposition) : t("none")), el("td", {}, a.hangup_cause || t("none")), el("td", { class: "num" }, a.billsec ?? 0),
            el("td", {}, a.trace && a.trace.length
              ? el("details", {}, el("summary", {}, t("col.heard_lines", { n: a.trace.length })), el("pre", {}, a.trace.join("\n")))
              : t("none"))))))
          : el("p", {}, t("contacts.no_attempts"))));
    }
  });
};

C.pages.dnc = async (view) => {
  const tbody = el("tbody");
  const draw = async () => {
    const list = await api("GET", "/dnc");
    tbody.replaceChildren(...(list.length ? list.map((d) => el("tr", {},
      el("td", {}, d.phone), el("td", {}, d.reason), el("td", {}, fmtTime(d.added_at)),
      can("dnc_write") ? el("td", {}, el("button", {
        type: "button", "aria-label": t("dnc.remove") + " " + d.phone, onclick: async () => {
          if (!confirm(t("dnc.remove_confirm", { phone: d.phone }))) return;
          try { await api("DELETE", "/dnc/" + enc(d.phone)); await draw(); } catch (e) { toast(t("error", { why: e.message }), true); }
        },
      }, t("dnc.remove"))) : null)) : [el("tr", {}, el("td", { colspan: 4 }, t("dnc.none")))]));
  };
  view.append(el("h1", {}, t("dnc.title")));
  if (can("dnc_write")) {
    const phone = el("input", { type: "text", inputmode: "tel", required: true });
    const reason = el("input", { type: "text" });
    const form = el("form", { class: "row" }, labelled("dnc-phone", t("dnc.phone"), phone), labelled("dnc-reason", t("dnc.reason"), reason),
      el("button", { type: "submit" }, t("dnc.add")));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        const r = await api("POST", "/dnc", { phones: [phone.value.trim()], reason: reason.value.trim() });
        toast(t("dnc.added", r));
        phone.value = "";
        await draw();
      } catch (x) { toast(t("error", { why: x.message }), true); }
    });
    view.append(form);
  }
  view.append(el("table", { class: "grid", id: "dnc" }, el("thead", {}, el("tr", {},
    ["dnc.phone", "dnc.reason", "col.added"].map((k) => el("th", { scope: "col" }, t(k))))), tbody));
  await draw();
};

C.pages.audit = async (view) => {
  const object = el("input", { type: "text" });
  const actor = el("input", { type: "text" });
  const tbody = el("tbody");
  const show = (v) => (v === null || v === undefined ? "" : JSON.stringify(v));
  const draw = async () => {
    const q = new URLSearchParams({ limit: "200", newest_first: "true" });
    if (object.value.trim()) q.set("object", object.value.trim());
    if (actor.value.trim()) q.set("actor", actor.value.trim());
    const list = await api("GET", "/audit?" + q);
    tbody.replaceChildren(...(list.length ? list.map((a) => el("tr", {},
      el("td", {}, fmtTime(a.at)), el("td", {}, a.actor + " (" + tv("role", a.role) + ")"), el("td", {}, a.action),
      el("td", {}, a.object), el("td", { class: "code" }, show(a.before) + " → " + show(a.after))))
      : [el("tr", {}, el("td", { colspan: 5 }, t("audit.none")))]));
  };
  const form = el("form", { class: "row" }, labelled("a-object", t("audit.object"), object), labelled("a-actor", t("audit.actor"), actor),
    el("button", { type: "submit" }, t("audit.filter")));
  form.addEventListener("submit", (e) => { e.preventDefault(); draw(); });
  view.append(el("h1", {}, t("audit.title")), form, el("table", { class: "grid", id: "audit" }, el("thead", {}, el("tr", {},
    ["col.at", "col.actor", "col.action", "col.object", "col.change"].map((k) => el("th", { scope: "col" }, t(k))))), tbody));
  await draw();
};
