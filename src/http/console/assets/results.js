// A campaign's results for accounting: one row per contact with its variables, filtered by
// contact status and last result on the server (the API's /results?status=&disposition=, so a
// filter finds its contacts in a campaign of any size) and by text among the loaded rows,
// loaded page by page; the CSV export is the API's /results.csv (every contact with its variables).
"use strict";
// Rows drawn at once (the rest stay loaded; the filters narrow them): keeps the page light.
const SHOWN = 100;
async function results(name, box, tz) {
  let rows = [];
  let next = 0;
  let generation = 0;
  const status = el("select", {}, el("option", { value: "" }, t("results.any")),
    ["pending", "dialing", "done", "exhausted"].map((s) => el("option", { value: s }, tv("cs", s))));
  const disp = el("select", {}, el("option", { value: "" }, t("results.any")),
    ["answered", "transferred", "short_call", "busy", "no_answer", "rejected", "invalid_number", "failed", "technical", "opted_out", "cancelled", "interrupted"]
      .map((d) => el("option", { value: d }, tv("disp", d))));
  const text = el("input", { type: "search" });
  const count = el("p", { id: "results-count" });
  const tbody = el("tbody");
  const more = el("button", { type: "button", onclick: () => load() }, t("results.more"));
  const csv = el("button", {
    type: "button", id: "results-csv",
    onclick: () => download("/campaigns/" + enc(name) + "/results.csv", name + "-results.csv").catch((e) => toast(t("error", { why: e.message }), true)),
  }, t("results.csv"));
  box.append(el("h2", {}, t("results.title")),
    el("div", { class: "row" }, labelled("f-status", t("results.filter_status"), status),
      labelled("f-disp", t("results.filter_disp"), disp), labelled("f-text", t("results.filter_text"), text), csv),
    count,
    el("div", { class: "scroll" }, el("table", { class: "grid", id: "results-table" },
      el("thead", {}, el("tr", {}, ["col.contact", "col.phone", "col.vars", "col.status", "col.disposition", "col.attempts", "col.last_call", "col.talk"]
        .map((k) => el("th", { scope: "col" }, t(k))))), tbody)),
    more);
  const draw = () => {
    const q = text.value.trim().toLowerCase();
    const shown = rows.filter((r) =>
      !q || (r.name + " " + r.phone + " " + Object.values(r.vars).join(" ")).toLowerCase().includes(q));
    count.textContent = t("results.count", { shown: shown.length, total: rows.length }) +
      (shown.length > SHOWN ? " · " + t("results.first", { n: SHOWN }) : "");
    tbody.replaceChildren(...shown.slice(0, SHOWN).map((r) => el("tr", {},
      el("td", {}, r.name), el("td", {}, r.phone),
      el("td", {}, Object.entries(r.vars).map(([k, v]) => k + "=" + v).join("; ")),
      el("td", {}, tv("cs", r.status)), el("td", {}, r.disposition ? tv("disp", r.disposition) : t("none")),
      el("td", { class: "num" }, r.attempts), el("td", {}, fmtTime(r.last_call, tz)), el("td", { class: "num" }, r.talk_seconds))));
  };
  const load = async () => {
    if (next === null) return;
    const mine = generation;
    const query = "limit=500&after=" + next + "&status=" + enc(status.value) + "&disposition=" + enc(disp.value);
    const page = await api("GET", "/campaigns/" + enc(name) + "/results?" + query);
    if (mine !== generation) return; // the filters changed while this page was on its way
    rows.push(...page.results);
    next = page.next;
    more.hidden = next === null;
    draw();
  };
  // A changed filter starts over from the first page of what matches it.
  const refilter = () => {
    generation += 1;
    rows = [];
    next = 0;
    load().catch((e) => toast(t("error", { why: e.message }), true));
  };
  for (const f of [status, disp]) f.addEventListener("change", refilter);
  text.addEventListener("input", draw);
  await load();
}
