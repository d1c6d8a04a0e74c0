// The upload page (drop a CSV, the dry-run report first, then the import with a progress bar)
// and the editor (a definition's TOML checked by the API with `campaign check`'s messages).
"use strict";
async function campaignSelect(id, label, extra) {
  const list = await api("GET", "/campaigns");
  const sel = el("select", {}, extra || null, list.map((c) => el("option", { value: c.name }, c.name + " (" + tv("status", c.status) + ")")));
  const want = location.hash.split("?")[1];
  if (want && list.some((c) => c.name === decodeURIComponent(want))) sel.value = decodeURIComponent(want);
  return { sel, field: labelled(id, label, sel) };
}

function reportView(r, file) {
  const rejected = r.rejected.length
    ? el("table", { class: "grid", id: "rejected" },
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("col.line")), el("th", { scope: "col" }, t("col.reason")))),
      el("tbody", {}, r.rejected.map((x) => el("tr", {}, el("td", { class: "num" }, x.line), el("td", {}, x.reason)))))
    : null;
  const merged = r.merged.length
    ? el("details", {}, el("summary", {}, t("upload.merged") + ": " + r.merged.length),
      el("ul", {}, r.merged.map((m) => el("li", {}, m.into_line === null ? t("upload.into_existing", { line: m.line }) : t("upload.into", { line: m.line, into: m.into_line })))))
    : null;
  return el("section", { id: "report", "data-dry-run": r.dry_run ? "true" : "false" },
    el("h2", {}, r.dry_run ? t("upload.report", { file }) : t("upload.done", { accepted: r.accepted, duplicates: r.duplicates, rejected: r.rejected.length })),
    el("dl", { class: "counts" },
      el("dt", {}, t("upload.rows")), el("dd", { id: "r-rows" }, r.rows),
      el("dt", {}, t("upload.accepted")), el("dd", { id: "r-accepted" }, r.accepted),
      el("dt", {}, t("upload.duplicates")), el("dd", { id: "r-duplicates" }, r.duplicates),
      el("dt", {}, t("upload.rejected")), el("dd", { id: "r-rejected" }, r.rejected.length)),
    rejected, merged);
}

// The import itself with XMLHttpRequest, whose upload reports progress.
function sendWithProgress(url, file, bar, label) {
  return new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open("POST", url);
    x.setRequestHeader("Authorization", "Bearer " + C.token);
    x.setRequestHeader("Content-Type", "text/csv");
    x.upload.onprogress = (e) => {
      if (!e.lengthComputable) return;
      const pct = Math.round(100 * e.loaded / e.total);
      bar.value = pct;
      label.textContent = pct < 100 ? t("upload.sending", { pct }) : t("upload.importing");
    };
    x.onload = () => {
      let data = null;
      try { data = JSON.parse(x.responseText); } catch (_) { /* not JSON */ }
      if (x.status >= 200 && x.status < 300) resolve(data);
      else reject(new ApiError(x.status, (data && data.detail) || x.statusText));
    };
    x.onerror = () => reject(new ApiError(0, "network error"));
    x.send(file);
  });
}

C.pages.upload = async (view) => {
  const { sel, field } = await campaignSelect("up-campaign", t("upload.campaign"));
  const input = el("input", { type: "file", accept: ".csv,text/csv,text/plain" });
  const zone = el("div", { class: "drop", id: "drop" }, el("p", {}, t("upload.drop")), labelled("up-file", t("upload.choose"), input));
  const out = el("div", { id: "upload-out", "aria-live": "polite" });
  view.append(el("h1", {}, t("upload.title")), field, zone, out);
  const check = async (file) => {
    out.replaceChildren(el("p", {}, t("upload.checking", { file: file.name })));
    const url = "/campaigns/" + enc(sel.value) + "/contacts";
    try {
      const report = await api("POST", url + "?dry_run=true", file, "text/csv");
      const bar = el("progress", { max: 100, value: 0, id: "import-progress" });
      const label = el("span", { id: "import-label" });
      const go = el("button", { type: "button", id: "btn-import", disabled: report.accepted === 0 }, t("upload.import", { n: report.accepted }));
      go.addEventListener("click", async () => {
        go.disabled = true;
        bar.hidden = false;
        try {
          const done = await sendWithProgress(url, file, bar, label);
          bar.value = 100;
          label.textContent = "100%";
          out.replaceChildren(reportView(done, file.name), el("div", { class: "row" }, bar, label));
        } catch (e) { label.textContent = t("error", { why: e.message }); go.disabled = false; }
      });
      bar.hidden = true;
      out.replaceChildren(reportView(report, file.name), el("div", { class: "row" }, go, bar, label));
      go.focus();
    } catch (e) {
      out.replaceChildren(el("p", { class: "error", role: "alert" }, t("error", { why: e.message })));
    }
  };
  input.addEventListener("change", () => { if (input.files[0]) check(input.files[0]); });
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    if (e.dataTransfer.files[0]) check(e.dataTransfer.files[0]);
  });
};

C.pages.editor = async (view) => {
  const { sel, field } = await campaignSelect("ed-campaign", t("editor.which"), el("option", { value: "" }, t("editor.new")));
  const area = el("textarea", { rows: 24, spellcheck: "false", class: "code" });
  const out = el("div", { id: "editor-out", "aria-live": "polite" });
  const load = async () => {
    out.replaceChildren();
    area.value = sel.value ? (await api("GET", "/campaigns/" + enc(sel.value))).definition : "";
  };
  const checkIt = async () => {
    try {
      const p = await api("POST", "/definitions/check", area.value, "application/toml");
      out.replaceChildren(el("p", { class: "ok", id: "editor-ok" }, t("editor.ok", { name: p.name, nodes: p.nodes.length, zone: p.timezone })));
      return p;
    } catch (e) {
      out.replaceChildren(el("pre", { class: "error", role: "alert", id: "editor-error" }, e.message));
      return null;
    }
  };
  const save = async () => {
    const p = await checkIt();
    if (!p) return;
    try {
      if (sel.value) await api("PUT", "/campaigns/" + enc(sel.value), area.value, "application/toml");
      else await api("POST", "/campaigns", area.value, "application/toml");
      delete plans[p.name];
      out.append(el("p", { class: "ok" }, t("editor.saved", { name: p.name })));
    } catch (e) {
      out.append(el("pre", { class: "error", role: "alert" }, e.message));
    }
  };
  sel.addEventListener("change", load);
  view.append(el("h1", {}, t("editor.title")), field, el("p", { class: "hint" }, t("editor.rules")),
    labelled("ed-toml", t("editor.toml"), area),
    el("div", { class: "row" }, el("button", { type: "button", onclick: checkIt }, t("editor.check")),
      el("button", { type: "button", onclick: save }, t("editor.save"))), out);
  await load();
};
