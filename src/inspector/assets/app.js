// The tradehook inspector page: plain DOM, no framework. Every value from a delivery reaches the page
// through textContent or an attribute, never as HTML, so a header like <img onerror=...> stays text.
"use strict";
(() => {
  const KEEP = 500;
  const API = "/_tradehook/api";
  const SAMPLE = { apindicators: "signal.buy", tickerapi: "data.ready", pipai: "strategy.deployed", "standard-webhooks": "order.filled", hmac: "order.filled", tradingview: "" };
  const $ = (id) => document.getElementById(id);

  const state = { run: "", all: [], seen: new Set(), pending: [], timer: 0, selected: null, types: new Set(), received: 0 };

  /** Builds an element; strings become text nodes (never HTML). */
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat(Infinity)) if (child !== undefined && child !== null && child !== false) node.append(child);
    return node;
  }

  const two = (n, w = 2) => String(n).padStart(w, "0");
  const clock = (ms) => {
    const d = new Date(ms);
    return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${two(d.getMilliseconds(), 3)}`;
  };
  // Milliseconds in their own span, which a narrow window hides.
  const clockCell = (ms) => {
    const [time, millis] = clock(ms).split(".");
    return [time, el("span", { class: "ms" }, `.${millis}`)];
  };
  const shortId = (id) => (id === undefined ? "-" : /^[0-9a-f]{64}$/.test(id) ? `${id.slice(0, 12)}…` : id);
  const statusClass = (status) => `st s${String(status)[0]}`;

  const BADGES = {
    signature: { valid: ["ok", "sig ✓", "signature valid"], invalid: ["bad", "sig ✗", "signature invalid"], missing: ["bad", "no sig", "signature missing"], unchecked: ["off", "sig –", "signature not checked"] },
    freshness: { fresh: ["ok", "fresh", "timestamp fresh"], stale: ["bad", "stale", "timestamp too old"], future: ["bad", "future", "timestamp in the future"], missing: ["bad", "no time", "timestamp missing"], invalid: ["bad", "bad time", "timestamp invalid"], none: ["off", "no time", "no timestamp sent"], unchecked: ["off", "time –", "timestamp not checked"] },
    duplicate: { duplicate: ["info", "duplicate", "duplicate delivery"], reused: ["bad", "key reused", "delivery key reused with another body"], "in-progress": ["warn", "in progress", "same delivery still running"] },
  };

  function badges(s) {
    const out = [];
    for (const kind of ["signature", "freshness", "duplicate"]) {
      const def = BADGES[kind][s.badges[kind]];
      if (def) out.push(el("span", { class: `b ${def[0]}`, title: def[2], "aria-label": def[2], role: "img" }, def[1]));
    }
    if (s.via) out.push(el("span", { class: "b off", title: s.via, "aria-label": s.via, role: "img" }, s.via.replace(/^(replay|fresh copy) of /, (_, kind) => (kind === "replay" ? "↻ " : "fresh "))));
    return out;
  }

  function row(s) {
    return el(
      "tr",
      { "data-seq": s.seq, tabindex: "-1", "aria-current": state.selected === s.seq ? "true" : undefined, onclick: () => open(s.seq, false) },
      el("td", { class: "time" }, clockCell(s.time)),
      el("td", { class: statusClass(s.status) }, String(s.status)),
      el("td", { class: "code", title: s.message }, s.outcome),
      el("td", { class: "type" }, s.type ?? "-"),
      el("td", { class: "id hide-n hide-d", title: s.id }, shortId(s.id)),
      el("td", { class: "num hide-n hide-d" }, String(s.ms)),
      el("td", { class: "checks" }, badges(s)),
      el("td", { class: "msg hide-n hide-d", title: s.message }, s.message ?? (s.forward !== undefined ? `-> app ${s.forward}` : "")),
    );
  }

  // ---- filters ---------------------------------------------------------------------------
  const filters = { outcome: "", type: "", text: "" };
  function matches(s) {
    const b = s.badges;
    switch (filters.outcome) {
      case "ok": if (s.status < 200 || s.status > 299) return false; break;
      case "failed": if (s.status >= 200 && s.status <= 299) return false; break;
      case "signature": if (b.signature !== "invalid" && b.signature !== "missing") return false; break;
      case "freshness": if (!["stale", "future", "missing", "invalid"].includes(b.freshness)) return false; break;
      case "duplicate": if (b.duplicate !== "duplicate") return false; break;
    }
    if (filters.type && s.type !== filters.type) return false;
    if (filters.text) {
      const hay = [s.seq, s.status, s.outcome, s.type, s.id, s.message, s.path, s.via].join(" ").toLowerCase();
      if (!hay.includes(filters.text)) return false;
    }
    return true;
  }

  function rebuild() {
    const frag = document.createDocumentFragment();
    for (const s of state.all) if (matches(s)) frag.append(row(s));
    $("rows").replaceChildren(frag);
    ensureFocusable();
    counts();
  }

  function counts() {
    const shown = $("rows").rows.length;
    $("count").textContent = String(state.all.length);
    $("shown").textContent = `${shown} shown of ${state.all.length} kept (last ${KEEP}), ${state.received} received`;
    $("empty").hidden = state.all.length > 0;
  }

  // ---- live stream -----------------------------------------------------------------------
  function flush() {
    state.timer = 0;
    const batch = state.pending.splice(0).filter((s) => !state.seen.has(s.seq));
    if (batch.length === 0) return;
    batch.sort((a, b) => b.seq - a.seq);
    state.received += batch.length;
    const frag = document.createDocumentFragment();
    for (const s of batch) {
      state.seen.add(s.seq);
      if (s.type && !state.types.has(s.type) && state.types.size < 200) {
        state.types.add(s.type);
        $("f-type").append(el("option", { value: s.type }, s.type));
      }
      if (matches(s)) frag.append(row(s));
    }
    state.all = batch.concat(state.all);
    const dropped = state.all.splice(KEEP);
    for (const s of dropped) state.seen.delete(s.seq);
    const body = $("rows");
    body.prepend(frag);
    // The DOM holds at most KEEP rows: drop those that fell out of the kept list.
    const oldest = state.all.length ? state.all[state.all.length - 1].seq : Infinity;
    while (body.lastElementChild && Number(body.lastElementChild.dataset.seq) < oldest) body.lastElementChild.remove();
    ensureFocusable();
    counts();
  }

  function connect() {
    const source = new EventSource(`${API}/events`);
    const conn = $("conn");
    source.onopen = () => { conn.dataset.state = "live"; conn.textContent = "live"; };
    source.onerror = () => { conn.dataset.state = "down"; conn.textContent = "reconnecting…"; };
    // A restarted listener numbers from 1 again: start the list over.
    source.addEventListener("hello", (event) => {
      const { run } = JSON.parse(event.data);
      if (state.run && state.run !== run) {
        state.all = [];
        state.pending = [];
        state.seen.clear();
        state.received = 0;
        $("rows").replaceChildren();
        counts();
      }
      state.run = run;
    });
    source.addEventListener("delivery", (event) => {
      state.pending.push(JSON.parse(event.data));
      // Batched: 10,000 deliveries a minute become ten small DOM updates a second.
      if (!state.timer) state.timer = setTimeout(flush, 100);
    });
  }

  // ---- keyboard --------------------------------------------------------------------------
  function ensureFocusable() {
    const rows = $("rows").rows;
    if (!rows.length) return;
    const current = [...rows].find((r) => r.tabIndex === 0);
    if (current) return;
    const target = (state.selected !== null && $("rows").querySelector(`tr[data-seq="${state.selected}"]`)) || rows[0];
    target.tabIndex = 0;
  }

  function focusRow(tr) {
    if (!tr) return;
    for (const r of $("rows").querySelectorAll('tr[tabindex="0"]')) r.tabIndex = -1;
    tr.tabIndex = 0;
    tr.focus();
  }

  $("rows").addEventListener("keydown", (event) => {
    const tr = event.target.closest("tr");
    if (!tr) return;
    const rows = $("rows").rows;
    const keys = {
      ArrowDown: () => focusRow(tr.nextElementSibling),
      ArrowUp: () => focusRow(tr.previousElementSibling),
      Home: () => focusRow(rows[0]),
      End: () => focusRow(rows[rows.length - 1]),
      Enter: () => open(Number(tr.dataset.seq), true),
      " ": () => open(Number(tr.dataset.seq), true),
    };
    if (keys[event.key]) {
      event.preventDefault();
      keys[event.key]();
    }
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && state.selected !== null && $("view-jobs").hidden) close();
  });

  // ---- detail ----------------------------------------------------------------------------
  async function open(seq, fromKeyboard) {
    state.selected = seq;
    for (const r of $("rows").rows) {
      if (Number(r.dataset.seq) === seq) r.setAttribute("aria-current", "true");
      else r.removeAttribute("aria-current");
    }
    const detail = $("detail");
    detail.hidden = false;
    $("view-deliveries").classList.add("open");
    detail.replaceChildren(el("p", { class: "meta", role: "status" }, `Loading #${seq}…`));
    let data;
    try {
      const response = await fetch(`${API}/deliveries/${seq}`);
      data = await response.json();
      if (!response.ok) throw new Error(data.error?.message ?? `HTTP ${response.status}`);
    } catch (error) {
      detail.replaceChildren(el("p", { class: "note", role: "alert" }, `#${seq}: ${error.message}`));
      return;
    }
    if (state.selected !== seq) return;
    detail.replaceChildren(...renderDetail(data).flat(Infinity).filter(Boolean));
    if (fromKeyboard) detail.querySelector("h2").focus();
  }

  function close() {
    const seq = state.selected;
    state.selected = null;
    $("detail").hidden = true;
    $("view-deliveries").classList.remove("open");
    $("detail").replaceChildren();
    for (const r of $("rows").querySelectorAll("tr[aria-current]")) r.removeAttribute("aria-current");
    focusRow($("rows").querySelector(`tr[data-seq="${seq}"]`) || $("rows").rows[0]);
  }

  function kv(label, pairs) {
    return el("table", { class: "kv", "aria-label": label }, el("tbody", {}, pairs.map(([k, v]) => el("tr", {}, el("th", { scope: "row" }, k), el("td", {}, v)))));
  }

  function bodyBlock(body, label) {
    const pre = el("pre", { tabindex: "0", "aria-label": label });
    const views = [];
    if (body.pretty !== undefined) views.push(["Pretty", body.pretty]);
    views.push([body.kind === "binary" ? "Hex" : "Raw", body.raw]);
    const buttons = views.map(([name, text], i) =>
      el("button", { type: "button", "aria-pressed": String(i === 0), onclick: (e) => {
        for (const b of buttons) b.setAttribute("aria-pressed", String(b === e.currentTarget));
        pre.textContent = text;
      } }, name),
    );
    pre.textContent = views[0][1];
    const notes = [body.note, body.truncated ? "cut for display: replay, curl and the fixture use every byte" : undefined].filter(Boolean);
    return [
      el("p", { class: "meta" }, `${body.kind}, ${body.bytes} bytes${notes.length ? ` — ${notes.join("; ")}` : ""}`),
      body.bytes ? [views.length > 1 ? el("div", { class: "seg", role: "group", "aria-label": `${label} view` }, buttons) : null, pre] : null,
    ];
  }

  function pretty(text) {
    try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return text; }
  }

  function renderDetail(d) {
    const s = d.summary;
    const result = el("p", { class: "note", role: "status", hidden: true });
    const say = (text) => { result.hidden = false; result.textContent = text; };
    const action = (name, label, enabled, run) => el("button", { type: "button", class: "btn", "data-action": name, disabled: !enabled, onclick: run }, label);
    const send = (kind) => async () => {
      say(kind === "replay" ? "Replaying…" : "Sending a fresh copy…");
      try {
        const response = await fetch(`${API}/deliveries/${s.seq}/${kind}`, { method: "POST", headers: { "X-Tradehook-Inspector": "1" } });
        const out = await response.json();
        if (!response.ok) throw new Error(out.error?.message ?? `HTTP ${response.status}`);
        say(`${kind === "replay" ? "Replayed" : "Fresh copy sent"} as #${out.seq}: ${out.status} ${out.outcome}`);
      } catch (error) {
        say(`Could not send: ${error.message}`);
      }
    };
    const copyCurl = async () => {
      try {
        const response = await fetch(`${API}/deliveries/${s.seq}/curl`);
        if (!response.ok) throw new Error((await response.json()).error?.message);
        await copyText(await response.text());
        say("curl command copied: paste it in bash to send the exact bytes again (it holds the full signature: do not share it).");
      } catch (error) {
        say(`Could not copy: ${error.message}`);
      }
    };
    const diag = d.diagnosis;
    const verdictClass = diag.verdict === "verified" ? (s.status < 300 ? "ok" : "bad") : diag.verdict === "not verified" ? "bad" : "";
    const req = d.request;
    const res = d.response;
    return [
      el("div", { class: "dhead" },
        el("h2", { tabindex: "-1" }, `#${s.seq}`, el("span", { class: statusClass(s.status) }, String(s.status)), el("span", { class: "code" }, s.outcome), el("span", { class: "code" }, s.type ?? "")),
        el("div", {}, el("button", { type: "button", class: "btn back", onclick: close }, "← List"), " ", el("button", { type: "button", class: "btn", "aria-label": "Close detail", onclick: close }, "Close ✕")),
      ),
      el("p", { class: "meta" }, [d.provider ?? "no provider", `${s.method} ${s.path}`, clock(s.time), `${s.ms} ms`, `${s.bytes} bytes`, s.via].filter(Boolean).join(" · ")),
      el("p", { class: "meta" }, badges({ ...s, via: undefined })),
      el("div", { class: "actions", role: "group", "aria-label": "Actions" },
        action("replay", "Replay exact bytes", d.actions.replay, send("replay")),
        action("fresh", "Send fresh copy (re-signed now)", d.actions.fresh, send("fresh")),
        action("curl", "Copy as curl", d.actions.export, copyCurl),
        d.actions.export
          ? el("a", { class: "btn", href: `${API}/deliveries/${s.seq}/fixture`, download: `tradehook-delivery-${s.seq}.json`, "data-action": "fixture" }, "Save as JSON fixture")
          : action("fixture", "Save as JSON fixture", false),
      ),
      result,
      el("h3", {}, "Diagnosis"),
      el("section", { class: `diag ${verdictClass}`, "aria-label": "Diagnosis" },
        el("p", { class: "v" }, `${{ verified: "authentic", "not verified": "not authentic" }[diag.verdict] ?? diag.verdict}: ${diag.headline}`),
        el("dl", {}, diag.findings.map((f) => [el("dt", {}, f.title), el("dd", {}, f.detail)])),
      ),
      req ? [
        el("h3", {}, "Request"),
        el("p", { class: "meta code" }, `${req.method} ${req.url}`),
        kv("Request headers", req.headers),
        el("h3", {}, "Request body"),
        bodyBlock(req.body, "Request body"),
      ] : null,
      res ? [
        el("h3", {}, "Response"),
        kv("Response headers", [["status", String(res.status)], ...res.headers]),
        el("pre", { tabindex: "0", "aria-label": "Response body" }, pretty(res.body)),
      ] : null,
      d.forward ? [
        el("h3", {}, "Forward"),
        el("p", {}, d.forward.status !== undefined ? `your app answered ${d.forward.status}` : `not delivered: ${d.forward.error ?? "no answer"}`),
      ] : null,
    ];
  }

  async function copyText(text) {
    try {
      await navigator.clipboard.writeText(text);
    } catch {
      const area = el("textarea", { class: "sr", "aria-hidden": "true" });
      area.value = text;
      document.body.append(area);
      area.select();
      const ok = document.execCommand("copy");
      area.remove();
      if (!ok) throw new Error("the browser refused clipboard access");
    }
  }

  // ---- jobs (with --queue) ---------------------------------------------------------------
  // Counts and failed jobs from the queue's Redis, polled while the tab shows (slowly otherwise for its count).
  const STATES = ["waiting", "active", "delayed", "prioritized", "completed", "failed"];
  const jobs = { on: false, busy: false, key: "", timer: 0 };
  const when = (iso) => {
    if (!iso) return "-";
    const d = new Date(iso);
    // The day in its own span, which a narrow window hides.
    return [el("span", { class: "day" }, `${d.toLocaleDateString(undefined, { month: "short", day: "numeric" })} `), clock(d.getTime()).slice(0, 8)];
  };
  const jobSay = (text) => { $("jobs-say").hidden = !text; $("jobs-say").textContent = text; };

  async function jobsCall(path, method) {
    const response = await fetch(`${API}/jobs${path}`, method ? { method, headers: { "X-Tradehook-Inspector": "1" } } : {});
    let out;
    try { out = await response.json(); } catch { throw new Error(`HTTP ${response.status}`); }
    if (!response.ok) throw new Error(out.error?.message ?? `HTTP ${response.status}`);
    return out;
  }

  async function loadJobs() {
    if (jobs.busy) return;
    jobs.busy = true;
    try {
      renderJobs(await jobsCall(""));
      $("jobs-error").hidden = true;
    } catch (error) {
      const text = `Cannot read the queue: ${error.message}. Retrying every few seconds; deliveries are not affected.`;
      // The same text is not set again, so a screen reader does not repeat the alert every poll.
      if ($("jobs-error").hidden || $("jobs-error").textContent !== text) $("jobs-error").textContent = text;
      $("jobs-error").hidden = false;
      // No stale numbers beside the error: the view shows again once Redis answers.
      $("jobs-at").textContent = "";
      $("jobs-count").textContent = "–";
      $("jobs-body").hidden = true;
      $("jobs-retry-all").disabled = true;
    } finally {
      jobs.busy = false;
    }
  }

  function renderJobs(data) {
    $("jobs-body").hidden = false;
    $("jobs-at").textContent = `updated ${clock(Date.parse(data.at)).slice(0, 8)}`;
    $("jobs-count").textContent = String(data.counts.failed);
    $("jobs-retry-all").disabled = data.counts.failed === 0;
    $("jobs-counts").replaceChildren(...STATES.map((st) => el("li", { class: st === "failed" && data.counts[st] ? "bad" : "" }, el("b", {}, String(data.counts[st] ?? 0)), st)));
    const shown = data.failed.length < data.counts.failed ? ` (newest ${data.failed.length} of ${data.counts.failed})` : "";
    $("jobs-failed-h").textContent = `Failed jobs${shown}`;
    $("jobs-empty").hidden = data.failed.length > 0;
    $("jobs-table").hidden = data.failed.length === 0;
    // Rebuilt only when something changed, keeping focus on the same job's button.
    const key = JSON.stringify(data.failed);
    if (key === jobs.key) return;
    jobs.key = key;
    const focused = document.activeElement?.closest?.("#jobs-rows tr")?.dataset.job;
    $("jobs-rows").replaceChildren(...data.failed.map((j) => el("tr", { "data-job": j.id },
      el("td", { class: "time" }, when(j.finishedAt)),
      el("td", { class: "type" }, j.type ?? "-"),
      el("td", { class: "id hide-n", title: j.eventId }, j.eventId ?? "-"),
      el("td", { class: "num" }, `${j.attemptsMade}/${j.attempts}`),
      el("td", { class: "reason" }, j.failedReason ?? "(no reason recorded)"),
      el("td", { class: "time hide-n" }, when(j.createdAt)),
      el("td", {}, el("button", { type: "button", class: "btn", "data-action": "retry-job", "aria-label": `Retry ${j.type ?? "job"} ${j.eventId ?? j.id}`, onclick: (e) => retryJob(j, e.currentTarget) }, "Retry")),
    )));
    if (focused) {
      const again = $("jobs-rows").querySelector(`tr[data-job="${CSS.escape(focused)}"] button`);
      (again ?? $("jobs-failed-h")).focus();
    }
  }

  async function retryJob(job, button) {
    const tr = button.closest("tr");
    const next = (tr.nextElementSibling ?? tr.previousElementSibling)?.dataset.job;
    button.disabled = true;
    try {
      await jobsCall(`/${encodeURIComponent(job.id)}/retry`, "POST");
      jobSay(`Retried ${job.type ?? "job"} ${job.eventId ?? job.id}: it is waiting for a worker again.`);
    } catch (error) {
      jobSay(`Could not retry: ${error.message}`);
      button.disabled = false;
      return button.focus();
    }
    await loadJobs();
    // Focus stays in the list: on the next job's Retry, or on the heading when none is left.
    const target = next && $("jobs-rows").querySelector(`tr[data-job="${CSS.escape(next)}"] button`);
    (target || $("jobs-failed-h")).focus();
  }

  $("jobs-retry-all").addEventListener("click", async (e) => {
    e.currentTarget.disabled = true;
    try {
      const out = await jobsCall("/retry-failed", "POST");
      jobSay(`Retried ${out.retried} failed job${out.retried === 1 ? "" : "s"}.`);
    } catch (error) {
      jobSay(`Could not retry: ${error.message}`);
    }
    await loadJobs();
  });
  $("jobs-refresh").addEventListener("click", () => loadJobs());
  $("jobs-failed-h").tabIndex = -1;

  function startJobs(config) {
    jobs.on = true;
    $("tab-jobs").hidden = false;
    $("jobs-where").textContent = `queue ${config.queue} on ${config.redis}`;
    loadJobs();
    // Every 2 s while the Jobs tab shows, every 15 s otherwise (for the failed count on the tab).
    let tick = 0;
    jobs.timer = setInterval(() => {
      tick++;
      if (document.visibilityState === "hidden") return;
      if (!$("view-jobs").hidden || tick % 8 === 0) loadJobs();
    }, 2000);
  }

  // ---- views ------------------------------------------------------------------------------
  // One tab per view (Deliveries; Jobs with --queue): arrow keys move between the visible tabs.
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  function selectTab(tab) {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute("aria-selected", String(on));
      t.tabIndex = on ? 0 : -1;
      $(t.getAttribute("aria-controls")).hidden = !on;
    }
    tab.focus();
    if (tab.id === "tab-jobs") loadJobs();
  }
  for (const tab of tabs) {
    tab.addEventListener("click", () => selectTab(tab));
    tab.addEventListener("keydown", (event) => {
      const shown = tabs.filter((t) => !t.hidden);
      const i = shown.indexOf(tab);
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (step) selectTab(shown[(i + step + shown.length) % shown.length]);
    });
  }

  // ---- start -----------------------------------------------------------------------------
  function onFilter() {
    filters.outcome = $("f-outcome").value;
    filters.type = $("f-type").value;
    filters.text = $("f-text").value.trim().toLowerCase();
    rebuild();
    $("announce").textContent = `${$("rows").rows.length} deliveries shown`;
  }
  $("filters").addEventListener("input", onFilter);
  $("filters").addEventListener("submit", (e) => e.preventDefault());

  fetch(`${API}/config`).then((r) => r.json()).then((config) => {
    const url = `${location.origin}${config.path}`;
    $("where").textContent = `${config.provider} · POST ${url}`;
    const type = SAMPLE[config.provider] ?? "";
    $("hint").textContent = `tradehook send ${type ? `${type} ` : ""}--provider ${config.provider} --url ${url}`;
    if (config.jobs) startJobs(config.jobs);
  }, () => {});
  counts();
  connect();
})();
