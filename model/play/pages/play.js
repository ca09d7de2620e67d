// The role-play's pages: polling, charts drawn as SVG from the numbers, team levers, facilitator.
"use strict";

const POLL_MS = 1000;  // every page asks for news each second (the server answers from a per-version cache)
const store = window.localStorage;
const $ = (sel) => document.querySelector(sel);

// ------------------------------------------------------------------ languages
// The page's language: the address's ?lang= (kept), else the device's choice (kept in its
// storage, so it survives a reload), else the room's (`decouple play --lang`: the server writes
// it into <html data-lang>). Every string this script shows goes through t(); the page's own
// text and attributes are translated once at load, from the catalogue the server serves at
// /i18n/<lang>.json (its version is in <html data-catalogues>, so the browser keeps it while it holds).
const LANGUAGES = { "en": "English", "zh-Hans": "中文" };
function normLang(value) {
  const v = String(value || "").trim().toLowerCase();
  if (!v) return null;
  if (v === "zh" || v.startsWith("zh-") || v.startsWith("zh_") || v === "中文") return "zh-Hans";
  if (v === "en" || v.startsWith("en-") || v.startsWith("en_")) return "en";
  return null;
}
const root = document.documentElement;
const asked = normLang(new URLSearchParams(location.search).get("lang"));
if (asked) store.setItem("decouple.lang", asked);
const LANG = asked || normLang(store.getItem("decouple.lang")) || normLang(root.dataset.lang) || "en";
let CATALOGUE = {};

// `text` (English, as written in the catalogue) in the page's language, its {placeholders} filled from `values`
function t(text, values = {}) {
  const out = Object.prototype.hasOwnProperty.call(CATALOGUE, text) ? CATALOGUE[text] : text;
  return out.replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));
}

const VISIBLE_ATTRIBUTES = ["title", "placeholder", "aria-label", "alt"];
// The page's own text: each text node and visible attribute the catalogue has, as the extractor
// reads them (runs of white space as one space, trimmed)
function translatePage() {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const nodes = [];
  while (walker.nextNode()) nodes.push(walker.currentNode);
  for (const node of nodes) {
    const parent = node.parentElement;
    if (!parent || parent.closest("script, style")) continue;
    const key = node.nodeValue.replace(/\s+/g, " ").trim();
    if (!key || !Object.prototype.hasOwnProperty.call(CATALOGUE, key)) continue;
    const lead = /^\s/.test(node.nodeValue) ? " " : "", trail = /\s$/.test(node.nodeValue) ? " " : "";
    node.nodeValue = lead + CATALOGUE[key] + trail;
  }
  for (const name of VISIBLE_ATTRIBUTES) {
    for (const node of document.querySelectorAll(`[${name}]`)) {
      const key = node.getAttribute(name).replace(/\s+/g, " ").trim();
      if (Object.prototype.hasOwnProperty.call(CATALOGUE, key)) node.setAttribute(name, CATALOGUE[key]);
    }
  }
}

// hidden (play.css: .i18n-pending) until the page's text is in its language, at most a few seconds
const i18nReady = (async () => {
  root.lang = LANG;
  if (LANG === "en") return;
  root.classList.add("i18n-pending");
  const shown = setTimeout(() => root.classList.remove("i18n-pending"), 4000);
  try {
    let versions = {};
    try { versions = JSON.parse(root.dataset.catalogues || "{}"); } catch (e) { versions = {}; }
    const response = await fetch(`/i18n/${LANG}.json?v=${encodeURIComponent(versions[LANG] || "")}`);
    if (response.ok) CATALOGUE = await response.json();
  } catch (e) { CATALOGUE = {}; }
  translatePage();
  clearTimeout(shown);
  root.classList.remove("i18n-pending");
})();

// The switch "English / 中文" in the page's header: the choice is kept on this device and the
// page reloads in it (a team's seat is kept: the page joins again with the codes it remembers)
function languageSwitch() {
  const box = $("#lang-switch");
  if (!box) return;
  box.setAttribute("role", "group");
  box.setAttribute("aria-label", t("Language"));
  const buttons = Object.entries(LANGUAGES).map(([tag, name]) => {
    const button = el("button", { type: "button", id: `lang-${tag}`, class: "lang", lang: tag, "data-lang": tag, "aria-pressed": String(tag === LANG) }, name);
    button.onclick = () => {
      store.setItem("decouple.lang", tag);
      if (tag === LANG) return;
      const url = new URL(location.href);
      url.searchParams.delete("lang");
      location.href = url.toString();
    };
    return button;
  });
  box.replaceChildren(buttons[0], " / ", buttons[1]);
}

// every page's start: its text in its language, then the switch
async function ready() {
  await i18nReady;
  languageSwitch();
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child);
  return node;
}

async function api(path, { method = "GET", body = null, headers = {} } = {}) {
  const opts = { method, headers: { "X-Lang": LANG, ...headers } };
  if (body !== null) {
    opts.body = JSON.stringify(body);
    opts.headers["Content-Type"] = "application/json";
  }
  const response = await fetch(path, opts);
  let data = {};
  try { data = await response.json(); } catch (e) { data = {}; }
  if (!response.ok) {
    const error = new Error(data.error || t("HTTP {status}", { status: response.status }));
    error.status = response.status;
    throw error;
  }
  return data;
}

function deviceId() {
  let id = store.getItem("decouple.device");
  if (!id) {
    id = Math.random().toString(36).slice(2) + Date.now().toString(36);
    store.setItem("decouple.device", id);
  }
  return id;
}

// ------------------------------------------------------------------ charts
const SVG = "http://www.w3.org/2000/svg";
function svgEl(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

function fmt(v) {
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString("en");
  if (a >= 10) return v.toFixed(0);
  if (a >= 1) return v.toFixed(1);
  return v.toFixed(2);
}

// lines: [{values, colour, width, dash, label}], all against `years`; `marker`: a year to mark
// A unit inside parentheses, its own parentheses flattened: "index (2018 = 100)" reads
// "(index, 2018 = 100)", never "(index (2018 = 100))" (as outcomes.with_unit does in Python)
const flatUnit = (unit) => unit.replace(/\s*\(([^()]*)\)/g, ", $1");

function lineChart(container, title, unit, years, lines, marker = null, domain = null) {
  const W = 360, H = 200, L = 52, R = 10, T = 8, B = 26;
  const all = lines.flatMap((l) => l.values.filter((v) => v !== null && isFinite(v)));
  if (!all.length) return;
  let lo = Math.min(...all), hi = Math.max(...all);
  if (hi - lo < 1e-9) { hi += Math.abs(hi) * 0.05 + 1e-3; lo -= Math.abs(lo) * 0.05 + 1e-3; }
  const pad = (hi - lo) * 0.08; lo -= pad; hi += pad;
  const [x0, x1] = domain || [years[0], years[years.length - 1]];
  const step = (hi - lo) / 3, decimals = step >= 10 ? 0 : Math.min(3, Math.max(0, Math.ceil(-Math.log10(step)) + 1));
  const tick = (v) => (Math.abs(v) >= 1000 ? Math.round(v).toLocaleString("en") : v.toFixed(decimals));
  const X = (x) => L + ((x - x0) / (x1 - x0 || 1)) * (W - L - R);
  const Y = (y) => T + (1 - (y - lo) / (hi - lo)) * (H - T - B);
  const svg = svgEl("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title });
  for (let i = 0; i <= 3; i++) {
    const v = lo + ((hi - lo) * i) / 3;
    svg.append(svgEl("line", { x1: L, x2: W - R, y1: Y(v), y2: Y(v), stroke: "#e3e3e3" }));
    const t = svgEl("text", { x: L - 4, y: Y(v) + 4, "text-anchor": "end", "font-size": 11, fill: "#555" });
    t.textContent = tick(v);
    svg.append(t);
  }
  for (let y = Math.ceil(x0); y <= x1; y += Math.max(1, Math.round((x1 - x0) / 6))) {
    const t = svgEl("text", { x: X(y), y: H - 8, "text-anchor": "middle", "font-size": 11, fill: "#555" });
    t.textContent = String(y);
    svg.append(t);
  }
  if (marker !== null) {
    svg.append(svgEl("line", { x1: X(marker), x2: X(marker), y1: T, y2: H - B, stroke: "#808080", "stroke-dasharray": "3 3" }));
  }
  for (const line of lines) {
    let d = "";
    line.values.forEach((v, i) => {
      if (v === null || !isFinite(v)) return;
      d += (d ? "L" : "M") + X(line.years ? line.years[i] : years[i]).toFixed(1) + "," + Y(v).toFixed(1);
    });
    const attrs = { d, fill: "none", stroke: line.colour, "stroke-width": line.width || 2 };
    if (line.dash) attrs["stroke-dasharray"] = line.dash;
    svg.append(svgEl("path", attrs));
  }
  const box = el("div", { class: "chart" }, el("div", { class: "title", text: title }), el("div", { class: "muted", text: unit }));
  box.append(svg);
  container.append(box);
}

function legend(container, items) {
  const div = el("div", { class: "legend muted" });
  for (const [label, colour, dash] of items) {
    const swatch = el("i");
    swatch.style.background = dash ? `repeating-linear-gradient(90deg, ${colour} 0 5px, transparent 5px 8px)` : colour;
    div.append(el("span", {}, swatch, label));
  }
  container.append(div);
}

// The class's path so far (black), a projection (dashed, from the year reached) and the open world (grey).
// (Each line is 3:1 or more against the white, as WCAG 2.1 asks of a graphic: the grey #808080 3.9:1.)
function pathCharts(container, state, projection = null, colour = "#0072B2") {
  container.replaceChildren();
  const path = state.path;
  for (const chart of state.charted) {
    const lines = [{ values: path.open[chart.key], colour: "#808080", width: 1.5, years: path.open_years }];
    if (projection) {
      const years = projection.years, values = projection.series[chart.key];
      const ahead = years.map((y, i) => (y >= state.year - 1e-9 ? values[i] : null));
      lines.push({ values: ahead, colour, width: 2.5, dash: "6 4", years });
    }
    lines.push({ values: path.series[chart.key], colour: "#111", width: 3, years: path.years });
    const domain = [path.open_years[0], path.open_years[path.open_years.length - 1]];
    lineChart(container, chart.label, chart.unit, path.open_years, lines, state.year, domain);
  }
  legend(container, [[t("the class so far"), "#111"], [t("open world"), "#808080"]].concat(projection ? [[t("what-if: your draft, others held"), colour, true]] : []));
}

// ------------------------------------------------------------------ shared panels
function renderNews(container, news) {
  container.replaceChildren(...news.slice().reverse().map((n) =>
    el("div", { class: `kind-${n.kind}` }, el("span", { class: "muted", text: t("R{n}", { n: n.round }) + " " }), n.text)));
}

function renderScores(container, scores) {
  const rows = Object.values(scores);
  if (!rows.length) { container.replaceChildren(el("p", { class: "muted", text: t("Scores appear after the first round.") })); return; }
  const table = el("table", {}, el("tr", {}, el("th", { text: t("team") }), el("th", { text: t("against the open world") }), el("th", { class: "num", text: t("score") })));
  for (const s of rows.sort((a, b) => b.total - a.total)) {
    const detail = s.objectives.map((o) => t("{label}: {value} {unit}", { label: o.label, value: `${o.value >= 0 ? "+" : ""}${fmt(o.value)}`, unit: o.unit })).join(t("; "));
    table.append(el("tr", {}, el("td", { text: s.label }), el("td", { class: "muted", text: detail }), el("td", { class: "num", text: (s.total >= 0 ? "+" : "") + s.total.toFixed(1) })));
  }
  container.replaceChildren(table);
}

let clockOffset = 0;
function renderTimer(node, state) {
  clockOffset = state.now * 1000 - Date.now();
  node.dataset.deadline = state.deadline ? String(state.deadline * 1000) : "";
  tickTimer(node);
}
function tickTimer(node) {
  const deadline = Number(node.dataset.deadline || 0);
  if (!deadline) { node.textContent = t("no timer"); node.classList.remove("late"); return; }
  const left = Math.max(0, Math.round((deadline - (Date.now() + clockOffset)) / 1000));
  node.textContent = left > 0 ? t("{time} left", { time: `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}` }) : t("time is up");
  node.classList.toggle("late", left <= 30);
}

function roundText(state) {
  return state.over ? t("Game over ({year})", { year: state.year }) : t("Round {round} of {rounds}: {span}", { round: state.round, rounds: state.rounds, span: state.span });
}

// ------------------------------------------------------------------ join page
async function initJoin() {
  await ready();
  const params = new URLSearchParams(location.search);
  const room = $("#room"), codeInput = $("#code");
  room.value = params.get("room") || store.getItem("decouple.room") || "";
  codeInput.value = params.get("team") || "";
  $("#watch").onclick = () => { location.href = `/watch?room=${encodeURIComponent(room.value.trim().toUpperCase())}`; };
  const join = async () => {
    $("#error").textContent = "";
    try {
      const data = await api("/api/join", { method: "POST", body: { room: room.value, code: codeInput.value, device: deviceId() } });
      store.setItem("decouple.seat", data.seat);
      store.setItem("decouple.room", room.value.trim().toUpperCase());
      store.setItem("decouple.code", codeInput.value.trim().toUpperCase());
      location.href = "/team";
    } catch (e) { $("#error").textContent = e.message; }
  };
  $("#join").onclick = join;
  if (room.value && codeInput.value) join();
}

// ------------------------------------------------------------------ team page
const team = { draft: {}, state: null, version: -1, timer: null, pending: null, asked: "" };

async function rejoin() {
  const room = store.getItem("decouple.room"), code = store.getItem("decouple.code");
  if (!room || !code) { location.href = "/join"; return false; }
  try {
    const data = await api("/api/join", { method: "POST", body: { room, code, device: deviceId() } });
    store.setItem("decouple.seat", data.seat);
    return true;
  } catch (e) {
    $("#error").textContent = t("{error} — join again", { error: e.message });
    setTimeout(() => { location.href = `/join?room=${room}`; }, 3000);
    return false;
  }
}

function seatHeaders() { return { "X-Seat": store.getItem("decouple.seat") || "" }; }

async function initTeam() {
  await ready();
  window.addEventListener("pagehide", () => {
    // a closed tab gives its seat back at once (a reload joins again with the same device)
    navigator.sendBeacon("/api/leave", new Blob([JSON.stringify({ seat: store.getItem("decouple.seat") })], { type: "application/json" }));
  });
  $("#submit").onclick = submitChoice;
  setInterval(() => tickTimer($("#timer")), 1000);
  await pollTeam();
  setInterval(pollTeam, POLL_MS);
}

// a poll answers "unchanged" when the game has not moved since the version the page holds:
// then only the timer, the clock and who is there are new
function merged(previous, data) {
  return data.unchanged && previous ? { ...previous, ...data } : data;
}

async function pollTeam() {
  let state;
  const since = team.state ? team.state.version : -1;
  try {
    state = merged(team.state, await api(`/api/state?since=${since}`, { headers: seatHeaders() }));
  } catch (e) {
    if (e.status === 403 && (await rejoin())) { team.state = null; return pollTeam(); }
    $("#error").textContent = e.message;
    return;
  }
  const firstTime = team.state === null;
  const newRound = !firstTime && state.round !== team.state.round;
  team.state = state;
  renderTimer($("#timer"), state);
  renderDevices(state);
  if (!firstTime && state.version === since) return;
  document.body.dataset.round = String(state.round);
  document.body.dataset.over = String(state.over);
  $("#team").textContent = state.team.label;
  $("#role").textContent = state.team.role;
  $("#round").textContent = roundText(state);
  $("#year").textContent = t("the class has reached {year}", { year: state.year });
  if (firstTime) $("#briefing").textContent = state.team.briefing;
  if (firstTime || newRound) {
    team.draft = JSON.parse(JSON.stringify(state.team.submitted || state.team.choice));
    renderLevers(state);
    team.asked = "";
    askWhatIf();
  }
  $("#status").textContent = state.over ? t("The game is over.") : state.team.submitted ? t("Submitted for this round ✓ (you can still change it)") : t("Not submitted yet: without a submission you keep your last choice.");
  $("#status").className = state.team.submitted ? "ok" : "muted";
  $("#submit").disabled = state.over;
  renderScores($("#scores"), state.scores);
  renderNews($("#news"), state.news);
  renderObjectives($("#now"), state.team.view, t("where the class stands now"));
  if (!team.projection) pathCharts($("#charts"), state);
}

// another device on the team: one of the team's, or someone who has its code?
function renderDevices(state) {
  const others = state.devices - 1, later = state.joined_after_you || 0;
  document.body.dataset.devices = String(state.devices);
  $("#devices").textContent = later > 0
    ? t("Another device joined your team ({n} on it now). If it is not one of yours, tell the facilitator: they can give your team a new code.", { n: state.devices })
    : others > 0 ? t("{n} devices are on your team.", { n: state.devices }) : "";
}

// Each control comes drawn by the server (one per kind of lever: a slider for a number, a switch,
// a box per sector); the page sets it to the draft and reads the draft back from it.
function renderLevers(state) {
  const box = $("#levers");
  box.replaceChildren();
  for (const lever of state.team.levers) {
    const holder = el("div");
    holder.innerHTML = lever.html;
    const wrap = holder.firstElementChild;
    if (lever.kind === "sectors") {
      const grid = wrap.querySelector(".sectors");
      for (const input of grid.querySelectorAll("input[type=checkbox]")) {
        input.checked = team.draft[lever.path].includes(input.value);
        input.onchange = () => {
          const chosen = [...grid.querySelectorAll("input:checked")].map((i) => i.value);
          team.draft[lever.path] = state.team.sectors.map((s) => s.id).filter((s) => chosen.includes(s));
          askWhatIf();
        };
      }
    } else if (lever.kind === "bool") {
      const input = wrap.querySelector("input[data-switch]");
      input.checked = Boolean(team.draft[lever.path]);
      input.onchange = () => { team.draft[lever.path] = input.checked; askWhatIf(); };
    } else {
      const value = wrap.querySelector(".value");
      const input = wrap.querySelector("input[type=range]");
      input.value = team.draft[lever.path];
      value.textContent = fmt(team.draft[lever.path]);
      input.oninput = () => { value.textContent = fmt(Number(input.value)); };
      input.onchange = () => { team.draft[lever.path] = Number(input.value); askWhatIf(); };
    }
    box.append(wrap);
  }
}

// compact (the what-if kept in view under the levers): a label and a value a row, the units in
// each row's tooltip (the "Now" table beside or below shows them), the caption under the table
function renderObjectives(container, view, caption, compact = false) {
  if (!view) return;
  const table = el("table", compact ? { class: "compact" } : {});
  for (const o of view.objectives) {
    const unit = t("{unit} (× {weight})", { unit: o.unit, weight: o.weight }), value = `${o.value >= 0 ? "+" : ""}${fmt(o.value)}`;
    table.append(compact
      ? el("tr", { title: unit }, el("td", { text: o.label }), el("td", { class: "num", text: value }))
      : el("tr", {}, el("td", { text: o.label }), el("td", { class: "num", text: value }), el("td", { class: "muted", text: unit })));
  }
  const total = (view.total >= 0 ? "+" : "") + view.total.toFixed(1);
  table.append(el("tr", {}, el("th", { text: t("score") }), el("th", { class: "num", text: total }), ...(compact ? [] : [el("td", { class: "muted", text: caption })])));
  container.replaceChildren(table, ...(compact ? [el("div", { class: "muted", text: caption })] : []));
}

// what-ifs: one in flight at a time; a newer draft waits and replaces any older waiting one
async function askWhatIf() {
  const key = JSON.stringify(team.draft);
  if (team.state && team.state.over) return;
  if (team.pending) { team.pending.next = key; return; }
  if (key === team.asked) return;
  team.pending = { next: null };
  const started = performance.now();
  try {
    const data = await api("/api/whatif", { method: "POST", headers: seatHeaders(), body: { values: team.draft } });
    team.asked = key;
    team.projection = data.view;
    renderObjectives($("#whatif"), data.view, t("projected to the end of the run: {s} s", { s: ((performance.now() - started) / 1000).toFixed(2) }), true);
    pathCharts($("#charts"), team.state, data.view, "#0072B2");
    document.body.dataset.whatif = String(Number(document.body.dataset.whatif || 0) + 1);
    $("#error").textContent = "";
  } catch (e) {
    if (e.status !== 409) $("#error").textContent = e.message;  // 409: replaced by a newer draft, or a new round
  }
  const next = team.pending.next;
  team.pending = null;
  if (next !== null && next !== team.asked) askWhatIf();
}

async function submitChoice() {
  try {
    await api("/api/choice", { method: "POST", headers: seatHeaders(), body: { values: team.draft, statement: $("#statement").value } });
    $("#error").textContent = "";
    await pollTeam();
  } catch (e) { $("#error").textContent = e.message; }
}

// ------------------------------------------------------------------ spectators
async function initWatch() {
  await ready();
  const room = (new URLSearchParams(location.search).get("room") || "").toUpperCase();
  const viewer = deviceId();
  let last = null;
  const poll = async () => {
    try {
      const since = last ? last.version : -1;
      const state = merged(last, await api(`/api/state?room=${encodeURIComponent(room)}&viewer=${viewer}&since=${since}`));
      last = state;
      renderTimer($("#timer"), state);
      if (state.version === since) return;
      document.body.dataset.round = String(state.round);
      $("#round").textContent = roundText(state);
      renderScores($("#scores"), state.scores);
      renderNews($("#news"), state.news);
      pathCharts($("#charts"), state);
      $("#error").textContent = "";
    } catch (e) { $("#error").textContent = e.message; }
  };
  setInterval(() => tickTimer($("#timer")), 1000);
  await poll();
  setInterval(poll, POLL_MS);
}

// ------------------------------------------------------------------ facilitator
// The facilitator's key is an HttpOnly cookie (the printed link set it): no page script sees it,
// and it is in no URL. Every request of this page carries it by itself.
const host = { version: -1, round: null };
function keyHeaders() { return {}; }

async function initFacilitator() {
  await ready();
  $("#advance").onclick = async () => {
    $("#advance").disabled = true;
    // naming the round makes a repeated click or a retried request harmless (the server answers 409)
    try { await api("/api/advance", { method: "POST", headers: keyHeaders(), body: { round: host.round } }); $("#error").textContent = ""; }
    catch (e) { $("#error").textContent = e.message; }
    $("#advance").disabled = false;
    await pollFacilitator();
  };
  $("#start-timer").onclick = () => setTimer(Number($("#minutes").value));
  $("#stop-timer").onclick = () => setTimer(0);
  $("#seats").onchange = async () => {
    try { await api("/api/seats", { method: "POST", headers: keyHeaders(), body: { policy: $("#seats").value } }); }
    catch (e) { $("#error").textContent = e.message; }
  };
  $("#export").onclick = async () => {
    $("#export").disabled = true;
    try {
      const data = await api("/api/export", { method: "POST", headers: keyHeaders() });
      $("#exported").textContent = t("written to {folder}", { folder: data.folder });
    } catch (e) { $("#error").textContent = e.message; }
    $("#export").disabled = false;
  };
  $("#show-debrief").onclick = showDebrief;
  $("#handout-show").onclick = showHandout;
  $("#handout-hide").onclick = hideHandout;
  setInterval(() => tickTimer($("#timer")), 1000);
  await pollFacilitator();
  setInterval(pollFacilitator, POLL_MS);
}

async function setTimer(minutes) {
  try { await api("/api/timer", { method: "POST", headers: keyHeaders(), body: { minutes } }); await pollFacilitator(); }
  catch (e) { $("#error").textContent = e.message; }
}

async function pollFacilitator() {
  let state;
  try { state = await api("/api/state", { headers: keyHeaders() }); }
  catch (e) {
    $("#error").textContent = e.status === 403 ? t("Open the facilitator link printed when the server started (it signs this browser in).") : e.message;
    return;
  }
  host.round = state.round;
  document.body.dataset.round = String(state.round);
  document.body.dataset.over = String(state.over);
  $("#room").textContent = state.room;
  host.colours = state.colours;
  $("#round").textContent = roundText(state);
  $("#advance").textContent = state.over ? t("Game over") : t("Run round {n} ({span})", { n: state.round, span: state.span });
  $("#advance").disabled = state.over;
  renderTimer($("#timer"), state);
  $("#seats").value = state.share_seats ? "share" : "refuse";
  $("#whatif-p95").textContent = state.whatif_p95 === null ? "" : t("what-ifs answered in {s} s (95th percentile)", { s: state.whatif_p95.toFixed(2) });
  $("#viewers").textContent = t("{n} spectator(s)", { n: state.viewers });
  if (host.version === -1) {
    $("#handout-team").replaceChildren(...state.teams.map((team) => el("option", { value: team.id, text: team.label })));
  }
  const table = el("table", {}, el("tr", {}, el("th", { text: t("team") }), el("th", { class: "num", text: t("devices") }), el("th", { text: t("this round") }), el("th", { text: "" })));
  const alerts = [];
  for (const team of state.teams) {
    const joined = state.joined[team.id];
    const renew = el("button", { type: "button", title: t("a new code for this team: its devices join again with it") }, t("new code"));
    renew.onclick = () => newCode(team);
    const devices = el("td", { class: "num", text: String(state.occupancy[team.id]) });
    if (joined > 1) {
      devices.append(el("span", { class: "error", text: " " + t("⚠ {n} joined", { n: joined }) }));
      alerts.push(t("{team}: {n} devices have joined", { team: team.label, n: joined }));
    }
    table.append(el("tr", { "data-team": team.id, "data-joined": String(joined) }, el("td", { text: team.label }), devices, el("td", { text: team.submitted ? t("submitted ✓") : "—" }), el("td", {}, renew)));
  }
  $("#teams").replaceChildren(table);
  if (state.refused_joins > 0) alerts.push(t("{n} join attempt(s) refused for too many wrong codes: someone may be guessing", { n: state.refused_joins }));
  $("#alerts").textContent = alerts.join(" · ");
  renderScores($("#scores"), state.scores);
  renderNews($("#news"), state.news);
  if (state.version !== host.version) {
    pathCharts($("#charts"), state);
    if (state.over) showDebrief();
  }
  host.version = state.version;
}

async function showDebrief() {
  try {
    const data = await api("/api/debrief", { headers: keyHeaders() });
    const box = $("#debrief");
    box.replaceChildren();
    const charts = el("div", { class: "charts" });
    for (const item of data.moved.slice(0, 4)) {
      const lines = Object.entries(data.series[item.key]).filter(([name]) => name !== "class")
        .map(([name, values]) => ({ values, colour: host.colours[name] || "#999", width: 1.5 }));
      lines.push({ values: data.series[item.key].class, colour: "#111", width: 3.5 });
      lineChart(charts, item.label, item.unit, data.years, lines, data.reached);
    }
    box.append(charts);
    legend(box, Object.entries(data.titles).map(([name, title]) => [title, host.colours[name] || "#111"]));
    const list = el("ol");
    for (const item of data.moved.slice(0, 4)) {
      const change = `${item.change >= 0 ? "+" : ""}${fmt(item.change)}`;
      const li = el("li", {}, el("strong", { text: item.label }), " ",
        t("moved {change} ({unit}) against the open world — {mechanism}; read {passage}", { change, unit: flatUnit(item.unit), mechanism: item.mechanism, passage: item.passage }));
      list.append(li);
      if (typeof showSources === "function") showSources(li, item.cite || item.passage);  // sources.js: the passages, in the original
    }
    box.append(el("p", { class: "muted", text: t("What the class moved most, in units of how far the documents' scenarios spread:") }), list);
    box.append(el("img", { src: `/api/debrief.png?lang=${encodeURIComponent(LANG)}&t=${Date.now()}`, alt: t("debrief figure"), style: "max-width:100%" }));
  } catch (e) { $("#error").textContent = e.message; }
}
host.colours = {};

// ------------------------------------------------------------------ handing out team codes
// One team's code at a time, for that team's eyes: the projected page never shows them all.
async function showHandout() {
  const id = $("#handout-team").value;
  try {
    const data = await api("/api/codes", { headers: keyHeaders() });
    const team = data.teams.find((x) => x.id === id);
    const box = $("#handout");
    box.replaceChildren(slip(data, team));
    box.hidden = false;
  } catch (e) { $("#error").textContent = e.message; }
}
function hideHandout() { $("#handout").replaceChildren(); $("#handout").hidden = true; }

async function newCode(team) {
  if (!confirm(t("Give {team} a new code? Its devices leave the team and join again with the new code.", { team: team.label }))) return;
  try {
    await api("/api/newcode", { method: "POST", headers: keyHeaders(), body: { team: team.id } });
    $("#handout-team").value = team.id;
    await showHandout();
  } catch (e) { $("#error").textContent = e.message; }
}

function slip(data, team) {
  return el("figure", { class: "slip", "data-team": team.id },
    el("img", { src: `/api/qr/${team.id}.svg`, alt: t("QR code for {team}", { team: team.label }) }),
    el("figcaption", {}, el("strong", { text: team.label }), el("br"), t("room {room} · team code", { room: data.room }) + " ", el("span", { class: "code", text: team.code }),
      el("br"), el("span", { class: "muted", text: team.link })));
}

async function initSlips() {
  await ready();
  try {
    const data = await api("/api/codes");
    $("#slips").replaceChildren(...data.teams.map((team) => el("section", {}, slip(data, team))));
  } catch (e) {
    $("#error").textContent = e.status === 403 ? t("Open the facilitator link printed when the server started first (it signs this browser in).") : e.message;
  }
}
