// The kiosk app: pairing, attract, one question per screen, thank-you, idle reset, sleep
// outside opening hours, PIN-protected settings.  Responses are written to IndexedDB before
// the thank-you screen and uploaded by the sync loop (sync.js).
import { h } from "./dom.js";
import { t, tr } from "./i18n.js";
import * as store from "./store.js";
import { Syncer, api, HttpError, describe } from "./sync.js";
import { questions, visible, problem, canonical, renderQuestion, ONE_TAP } from "./form.js";
import { DAYS, isOpen } from "./hours.js";
import { verifyPin } from "./pin.js";

const VERSION = (document.querySelector('meta[name="kiosk-version"]') || {}).content || "dev";
const CONFIG_REFRESH_MS = 15 * 60 * 1000;
const HOURS_CHECK_MS = 30 * 1000;
const AUTO_ADVANCE_MS = 350;
const PIN_TRIES = 5;
const PIN_LOCK_MS = 30 * 1000;

const app = {
  lang: "ru",
  token: null,
  device: null,
  config: null,
  pendingConfig: null,
  all: [],
  screen: null,
  response: null,
  revoked: false,
  syncer: null,
  idle: null,
  timers: new Set(),
  pinFailures: 0,
  pinLockedUntil: 0,
};

const main = () => document.getElementById("screen");
const live = () => document.getElementById("live");
const T = (key, values) => t(app.lang, key, values);

// ---------------------------------------------------------------- screen plumbing

function later(fn, ms) {
  const id = setTimeout(() => {
    app.timers.delete(id);
    fn();
  }, ms);
  app.timers.add(id);
  return id;
}

function every(fn, ms) {
  const id = setInterval(fn, ms);
  app.timers.add(id);
  return id;
}

/** Replace the whole screen: nothing of the previous one stays in the DOM. */
function show(name, nodes, { focus = "h1", announce = null, idle = false } = {}) {
  for (const id of app.timers) {
    clearTimeout(id);
    clearInterval(id);
  }
  app.timers.clear();
  closeIdleWarning();
  app.screen = name;
  document.documentElement.lang = app.lang;
  document.title = T("app_title");
  const root = main();
  root.dataset.screen = name;
  root.replaceChildren(...nodes);
  const target = typeof focus === "string" ? root.querySelector(focus) : focus;
  if (target) {
    if (!target.hasAttribute("tabindex") && !/^(BUTTON|INPUT|TEXTAREA|A)$/.test(target.tagName)) target.setAttribute("tabindex", "-1");
    target.focus({ preventScroll: false });
  }
  window.scrollTo(0, 0);
  say(announce || "");
  if (idle) startIdle();
  else stopIdle();
}

function say(text) {
  const region = live();
  region.textContent = "";
  if (text) later(() => (region.textContent = text), 50);
}

function langSwitch(rerender) {
  const other = app.lang === "ru" ? "en" : "ru";
  return h(
    "button",
    {
      type: "button",
      class: "lang-switch",
      lang: other,
      "aria-label": T("switch_lang_name"),
      onclick: () => {
        app.lang = other;
        rerender();
      },
    },
    T("switch_lang"),
  );
}

function button(label, onclick, cls = "button", extra = {}) {
  return h("button", { type: "button", class: cls, onclick, ...extra }, label);
}

// ---------------------------------------------------------------- pairing

function showPair(message = "", code = "") {
  const error = h("p", { class: "error-message", id: "pair-error", role: "alert" }, message);
  const input = h("input", {
    id: "pair-code",
    name: "code",
    class: "input-code",
    autocomplete: "off",
    autocapitalize: "characters",
    spellcheck: "false",
    required: true,
    "aria-describedby": "pair-hint pair-error",
    value: code,
  });
  const submit = h("button", { type: "submit", class: "button button-primary" }, T("pair_submit"));
  const form = h(
    "form",
    {
      class: "pair-form",
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        const value = input.value.trim();
        if (!value) {
          error.textContent = T("pair_bad");
          input.focus();
          return;
        }
        submit.disabled = true;
        submit.textContent = T("pair_busy");
        const failure = await pair(value);
        if (failure) {
          submit.disabled = false;
          submit.textContent = T("pair_submit");
          error.textContent = failure;
          input.focus();
        }
      },
    },
    h("label", { for: "pair-code", class: "field-label" }, T("pair_code")),
    h("p", { class: "hint", id: "pair-hint" }, T("pair_hint")),
    input,
    error,
    submit,
  );
  show("pair", [h("div", { class: "bar" }, langSwitch(() => showPair(error.textContent, input.value))), h("div", { class: "panel" }, h("h1", {}, T("pair_title")), h("p", {}, T("pair_intro")), form)], {
    focus: code ? "h1" : "#pair-code",
  });
  return form;
}

/** Pair with `code`; returns an error text, or "" once the kiosk shows its attract screen. */
async function pair(code) {
  let reply;
  try {
    reply = await api("/api/v1/kiosk/pair", { method: "POST", body: { code } });
  } catch (error) {
    if (!(error instanceof HttpError)) return T("pair_offline");
    if ([400, 404, 409, 410, 422].includes(error.status)) return T("pair_bad");
    return T("pair_failed", { detail: describe(error) });
  }
  const previous = await store.get("device");
  await store.set("token", reply.token);
  await store.set("device", reply.device);
  await store.remove("revoked", "config");
  app.token = reply.token;
  app.device = reply.device;
  app.revoked = false;
  app.config = null;
  if (previous && previous.id !== reply.device.id) await quarantineOtherDevice(previous);
  store.persist();
  try {
    await refreshConfig({ apply: true });
  } catch (error) {
    return T("pair_config_failed", { detail: describe(error) });
  }
  startSync();
  restart();
  return "";
}

/** Responses queued for another kiosk must not be sent with this one's token: keep them apart. */
async function quarantineOtherDevice(previous) {
  const queued = await store.oldest(100000);
  const now = new Date().toISOString();
  await store.settle(
    [],
    queued.map((item) => ({ id: item.id, status: "unsent", code: "KIOSK_REPAIRED", message: `queued on ${previous.name || previous.id}`, quarantined_at: now, item })),
  );
}

// ---------------------------------------------------------------- config and sync

async function refreshConfig({ apply = false } = {}) {
  let config;
  try {
    config = await api("/api/v1/kiosk/config", { token: app.token });
  } catch (error) {
    if (error instanceof HttpError && error.status === 401) revoked();
    throw error;
  }
  await store.set("config", config);
  if (apply || !app.response) applyConfig(config);
  else app.pendingConfig = config;
  return config;
}

function applyConfig(config) {
  app.config = config;
  app.pendingConfig = null;
  app.all = questions(config.instrument || { items: [] });
  if (config.device) app.device = config.device;
  if (app.screen === "attract" || app.screen === "sleep") restart();
}

function instrumentTag() {
  const instrument = (app.config && app.config.instrument) || {};
  return instrument.id ? `${instrument.id}@${instrument.version}` : null;
}

function startSync() {
  if (app.syncer) app.syncer.stop();
  app.syncer = new Syncer({
    token: () => app.token,
    heartbeat: () => ({ app_version: VERSION, instrument: instrumentTag() }),
    revoked,
    changed: () => {
      if (app.screen === "settings") fillSettingsStatus();
    },
  });
  app.syncer.start();
}

function revoked() {
  if (app.revoked) return;
  app.revoked = true;
  app.token = null;
  if (app.syncer) app.syncer.stop();
  store.remove("token").then(() => store.set("revoked", true));
  // a visitor (or the thank-you screen) is never cut short: restart() shows the pairing screen
  if (["attract", "sleep", "pin", "settings"].includes(app.screen)) showPair(T("pair_revoked"));
}

// ---------------------------------------------------------------- attract and sleep

function restart() {
  app.response = null;
  app.lang = "ru";
  if (app.pendingConfig) applyConfig(app.pendingConfig);
  if (app.revoked || !app.token) return showPair(app.revoked ? T("pair_revoked") : "");
  if (!app.config) return showPair(T("pair_config_failed", { detail: "—" }));
  if (!isOpen(app.config.opening_hours, app.config.timezone)) return showSleep();
  showAttract();
}

function staffButton() {
  return button(T("staff"), () => showPin(), "button-quiet staff-link");
}

function campaignTitle() {
  const campaign = app.config.campaign || {};
  return tr(campaign.title, app.lang) || tr((app.config.instrument || {}).title, app.lang) || T("app_title");
}

function showAttract() {
  show("attract", [
    h("div", { class: "bar" }, langSwitch(showAttract)),
    h(
      "div",
      { class: "attract" },
      h("h1", {}, campaignTitle()),
      h("p", { class: "lead" }, T("attract_lead")),
      button(T("start"), startResponse, "button button-primary button-start"),
    ),
    h("div", { class: "footer" }, staffButton()),
  ]);
  every(() => {
    if (!isOpen(app.config.opening_hours, app.config.timezone)) showSleep();
  }, HOURS_CHECK_MS);
}

function showSleep() {
  const hours = app.config.opening_hours || {};
  const rows = DAYS.map((day) =>
    h(
      "tr",
      {},
      h("th", { scope: "row" }, T("days")[day]),
      h("td", {}, (hours[day] || []).length ? hours[day].map(([a, b]) => `${a}–${b}`).join(", ") : T("closed")),
    ),
  );
  show("sleep", [
    h("div", { class: "bar" }, langSwitch(showSleep)),
    h(
      "div",
      { class: "sleep" },
      h("h1", {}, T("sleep_title")),
      h("p", { class: "lead" }, T("sleep_text")),
      h("table", { class: "hours" }, h("caption", {}, T("sleep_hours")), h("tbody", {}, rows)),
    ),
    h("div", { class: "footer" }, staffButton()),
  ]);
  every(() => {
    if (isOpen(app.config.opening_hours, app.config.timezone)) showAttract();
  }, HOURS_CHECK_MS);
}

// ---------------------------------------------------------------- the questionnaire

function startResponse() {
  app.response = {
    answers: {},
    index: 0,
    started_at: new Date().toISOString(),
    timings: {},
    shownAt: performance.now(),
    finishing: false,
  };
  showQuestion();
}

function tally() {
  const r = app.response;
  const { shown } = visible(app.all, r.answers);
  const q = shown[r.index];
  if (q) {
    const id = q.item.id;
    r.timings[id] = Math.round(((r.timings[id] || 0) + (performance.now() - r.shownAt) / 1000) * 10) / 10;
  }
  r.shownAt = performance.now();
}

function showQuestion() {
  const r = app.response;
  const { shown } = visible(app.all, r.answers);
  if (!shown.length) return finish();
  r.index = Math.max(0, Math.min(r.index, shown.length - 1));
  const q = shown[r.index];
  const last = r.index === shown.length - 1;
  r.serial = (r.serial || 0) + 1;
  const serial = r.serial;
  const field = renderQuestion(
    q,
    app.lang,
    r.answers[q.item.id],
    (value, viaTap) => {
      r.answers[q.item.id] = value;
      field.showError("");
      if (viaTap && ONE_TAP.has(q.item.type)) {
        later(() => {
          if (app.response !== r || r.serial !== serial) return;
          if (last) form.querySelector(".button-primary").focus();
          else next();
        }, AUTO_ADVANCE_MS);
      }
    },
    `${r.index}`,
  );
  const next = () => {
    const text = problem(q.item, r.answers[q.item.id], app.lang);
    if (text) {
      field.showError(text);
      const first = field.querySelector("input, textarea");
      if (first) first.focus();
      return;
    }
    const value = canonical(q.item, r.answers[q.item.id]);
    if (value === undefined) delete r.answers[q.item.id];
    else r.answers[q.item.id] = value;
    tally();
    if (last) finish();
    else {
      r.index += 1;
      showQuestion();
    }
  };
  const back = () => {
    tally();
    r.index -= 1;
    showQuestion();
  };
  const form = h(
    "form",
    {
      class: "question",
      novalidate: true,
      onsubmit: (event) => {
        event.preventDefault();
        next();
      },
    },
    field,
    h(
      "div",
      { class: "nav" },
      r.index > 0 ? button(T("back"), back, "button button-secondary") : h("span"),
      h("button", { type: "submit", class: "button button-primary" }, last ? T("submit") : T("next")),
    ),
  );
  const progress = T("progress", { n: r.index + 1, total: shown.length });
  show(
    "question",
    [
      h("div", { class: "bar" }, h("p", { class: "progress" }, progress), langSwitch(showQuestion)),
      h("h1", { class: "visually-hidden" }, campaignTitle()),
      form,
    ],
    { focus: ".q-title", announce: progress, idle: true },
  );
}

/** Store the finished response durably, then thank the visitor. */
async function finish() {
  const r = app.response;
  if (!r || r.finishing) return;
  r.finishing = true;
  const item = buildItem(r, false);
  say(T("saving"));
  try {
    await store.enqueue(item);
  } catch (error) {
    r.finishing = false;
    const note = main().querySelector(".q .error-message");
    if (note) {
      note.textContent = T("save_failed");
      note.hidden = false;
    }
    say(T("save_failed"));
    return;
  }
  app.response = null;
  if (app.syncer) app.syncer.kick();
  showThanks();
}

function buildItem(r, partial) {
  const { values } = visible(app.all, r.answers);
  const timings = {};
  for (const [key, seconds] of Object.entries(r.timings)) if (key in values || !partial) timings[key] = seconds;
  return {
    id: crypto.randomUUID(),
    answers: values,
    started_at: r.started_at,
    submitted_at: new Date().toISOString(),
    partial,
    page_timings: timings,
    device: app.device ? app.device.id : null,
    instrument: instrumentTag(),
  };
}

function showThanks() {
  const seconds = Math.max(3, Number(app.config.thanks_seconds) || 8);
  let left = seconds;
  const note = h("p", { class: "hint", "aria-hidden": "true" }, T("thanks_restart", { n: left }));
  show(
    "thanks",
    [
      h(
        "div",
        { class: "thanks" },
        h("h1", {}, T("thanks_title")),
        h("p", { class: "lead" }, T("thanks_text")),
        note,
        button(T("done"), restart, "button button-primary"),
      ),
    ],
    { announce: `${T("thanks_title")} ${T("thanks_text")}` },
  );
  every(() => {
    left -= 1;
    if (left <= 0) restart();
    else note.textContent = T("thanks_restart", { n: left });
  }, 1000);
}

// ---------------------------------------------------------------- idle reset (WCAG 2.2.1)

const ACTIVITY = ["pointerdown", "keydown", "input", "wheel", "touchstart"];

function idleSettings() {
  const c = app.config || {};
  return { idleMs: (Number(c.idle_seconds) || 60) * 1000, warnMs: (Number(c.warning_seconds) || 20) * 1000 };
}

function onActivity(event) {
  if (!app.idle) return;
  if (app.idle.warning) return; // only "Продолжить" or a tap on the dim backdrop extends the time
  app.idle.last = Date.now();
}

function startIdle() {
  stopIdle();
  app.idle = { last: Date.now(), warning: null, deadline: 0, timer: setInterval(idleTick, 250) };
}

function stopIdle() {
  if (app.idle) clearInterval(app.idle.timer);
  closeIdleWarning();
  app.idle = null;
}

function idleTick() {
  const idle = app.idle;
  if (!idle) return;
  const { idleMs, warnMs } = idleSettings();
  const now = Date.now();
  if (!idle.warning && now - idle.last >= idleMs) openIdleWarning(now + warnMs);
  if (idle.warning) {
    const left = Math.max(0, Math.ceil((idle.deadline - now) / 1000));
    idle.count.textContent = T("idle_seconds", { n: left });
    if (now >= idle.deadline) timeOut();
  }
}

function openIdleWarning(deadline) {
  const idle = app.idle;
  idle.deadline = deadline;
  idle.returnFocus = document.activeElement;
  const seconds = Math.ceil((deadline - Date.now()) / 1000);
  idle.count = h("strong", { class: "countdown", id: "idle-countdown" }, T("idle_seconds", { n: seconds }));
  const continueButton = button(T("idle_continue"), extendTime, "button button-primary");
  // a tap on the backdrop counts as "continue" (on click, so that the tap never reaches the
  // answers beneath once the dialog is gone)
  idle.warning = h(
    "div",
    { class: "overlay", onclick: (event) => event.target === event.currentTarget && extendTime() },
    h(
      "div",
      { class: "dialog", role: "alertdialog", "aria-modal": "true", "aria-labelledby": "idle-title", "aria-describedby": "idle-text" },
      h("h2", { id: "idle-title" }, T("idle_title")),
      h("p", { id: "idle-text" }, T("idle_text"), " ", idle.count, " ", T("idle_stay")),
      continueButton,
    ),
  );
  main().inert = true;
  document.body.append(idle.warning);
  continueButton.focus();
  say(T("idle_announce", { n: seconds }));
}

function closeIdleWarning() {
  const idle = app.idle;
  if (!idle || !idle.warning) return;
  idle.warning.remove();
  idle.warning = null;
  main().inert = false;
}

function extendTime() {
  const idle = app.idle;
  if (!idle) return;
  const back = idle.returnFocus;
  closeIdleWarning();
  idle.last = Date.now();
  if (back && document.contains(back)) back.focus();
}

/** Nobody answered the warning: keep or drop the partial response, start again. */
async function timeOut() {
  const r = app.response;
  stopIdle();
  if (app.screen === "question" && r && !r.finishing) {
    r.finishing = true;
    tally();
    const policy = ((app.config || {}).campaign || {}).partial_policy;
    const item = buildItem(r, true);
    app.response = null;
    if (policy === "keep" && Object.keys(item.answers).length) {
      try {
        await store.enqueue(item);
        if (app.syncer) app.syncer.kick();
      } catch (_) {
        // a partial that cannot be stored is lost like a discarded one
      }
    }
  }
  app.response = null;
  restart();
}

// ---------------------------------------------------------------- staff: PIN and settings

function showPin() {
  const spec = app.config && app.config.pin;
  const error = h("p", { class: "error-message", id: "pin-error", role: "alert" }, spec ? "" : T("pin_missing"));
  const input = h("input", { id: "pin", type: "password", inputmode: "numeric", autocomplete: "off", class: "input-code", "aria-describedby": "pin-error", disabled: !spec });
  const submit = h("button", { type: "submit", class: "button button-primary", disabled: !spec }, T("pin_submit"));
  const form = h(
    "form",
    {
      class: "pin-form",
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        const wait = app.pinLockedUntil - Date.now();
        if (wait > 0) {
          error.textContent = T("pin_locked", { n: Math.ceil(wait / 1000) });
          return;
        }
        submit.disabled = true;
        error.textContent = T("pin_checking");
        let ok = false;
        try {
          ok = await verifyPin(input.value, spec);
        } catch (_) {
          ok = false;
        }
        submit.disabled = false;
        if (ok) {
          app.pinFailures = 0;
          return showSettings();
        }
        app.pinFailures += 1;
        input.value = "";
        if (app.pinFailures >= PIN_TRIES) {
          app.pinFailures = 0;
          app.pinLockedUntil = Date.now() + PIN_LOCK_MS;
          error.textContent = T("pin_locked", { n: PIN_LOCK_MS / 1000 });
        } else error.textContent = T("pin_wrong");
        input.focus();
      },
    },
    h("label", { for: "pin", class: "field-label" }, T("pin_label")),
    input,
    error,
    h("div", { class: "nav" }, button(T("pin_cancel"), restart, "button button-secondary"), submit),
  );
  show("pin", [h("div", { class: "panel" }, h("h1", {}, T("pin_title")), form)], { focus: spec ? "#pin" : "h1", idle: true });
}

function row(label, value, id) {
  return [h("dt", {}, label), h("dd", id ? { id } : {}, value)];
}

function when(iso) {
  if (!iso) return T("never");
  try {
    return new Date(iso).toLocaleString(app.lang === "ru" ? "ru-RU" : "en-GB", { timeZone: (app.config && app.config.timezone) || undefined });
  } catch (_) {
    return iso;
  }
}

async function fillSettingsStatus() {
  const root = main();
  if (app.screen !== "settings") return;
  const [depth, oldest, lastSync, lastError, quarantine] = await Promise.all([
    store.queueDepth(),
    store.oldestUnsentAt(),
    store.get("last_sync"),
    store.get("last_error"),
    store.quarantined(),
  ]);
  if (app.screen !== "settings") return;
  const set = (id, text) => {
    const el = root.querySelector(`#${id}`);
    if (el) el.textContent = text;
  };
  set("st-queue", String(depth));
  set("st-oldest", oldest ? when(oldest) : T("none"));
  set("st-sync", when(lastSync));
  set("st-error", lastError ? `${when(lastError.at)}: ${lastError.detail}` : T("none"));
  const box = root.querySelector("#quarantine");
  if (box) {
    box.replaceChildren(
      quarantine.length
        ? h(
            "table",
            { class: "quarantine" },
            h("thead", {}, h("tr", {}, h("th", { scope: "col" }, T("th_id")), h("th", { scope: "col" }, T("th_status")), h("th", { scope: "col" }, T("th_reason")), h("th", { scope: "col" }, T("th_when")))),
            h(
              "tbody",
              {},
              quarantine.map((q) => h("tr", {}, h("td", { class: "mono" }, q.id.slice(0, 8)), h("td", {}, q.status), h("td", {}, [q.code, q.message].filter(Boolean).join(": ")), h("td", {}, when(q.item && q.item.submitted_at)))),
            ),
          )
        : h("p", {}, T("quarantine_empty")),
    );
  }
  const exportButton = root.querySelector("#export");
  if (exportButton) exportButton.disabled = !quarantine.length;
  app.queueDepth = depth;
}

async function exportQuarantine() {
  const entries = await store.quarantined();
  const blob = new Blob([JSON.stringify({ device: app.device, exported_at: new Date().toISOString(), app_version: VERSION, entries }, null, 2)], { type: "application/json" });
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: `kiosk-quarantine-${(app.device && app.device.id) || "device"}-${new Date().toISOString().slice(0, 10)}.json`, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

function showSettings() {
  const device = app.device || {};
  const config = app.config || {};
  const notice = h("p", { class: "notice", id: "settings-notice", role: "status" });
  let unpairArmed = false;
  const unpairButton = button(
    T("unpair"),
    async () => {
      const depth = await store.queueDepth();
      if (depth > 0) {
        notice.textContent = T("unpair_blocked", { n: depth });
        return;
      }
      if (!unpairArmed) {
        unpairArmed = true;
        notice.textContent = T("unpair_confirm");
        return;
      }
      if (app.syncer) app.syncer.stop();
      await store.remove("token", "config", "device", "revoked");
      app.token = null;
      app.config = null;
      app.device = null;
      app.revoked = false;
      showPair();
    },
    "button button-danger",
  );
  show(
    "settings",
    [
      h(
        "div",
        { class: "panel settings" },
        h("h1", {}, T("settings_title")),
        h(
          "dl",
          { class: "facts" },
          row(T("device"), device.name || device.id || "—"),
          row(T("library"), device.library || "—"),
          device.service_point ? row(T("service_point"), device.service_point) : null,
          row(T("campaign"), config.campaign ? `${tr(config.campaign.title, app.lang)} (${config.campaign.code})` : "—"),
          row(T("instrument"), instrumentTag() || "—"),
          row(T("app_version"), VERSION),
          row(T("queue_depth"), "…", "st-queue"),
          row(T("oldest_unsent"), "…", "st-oldest"),
          row(T("last_sync"), "…", "st-sync"),
          row(T("last_error"), "…", "st-error"),
        ),
        notice,
        h(
          "div",
          { class: "actions" },
          button(T("sync_now"), () => {
            if (app.syncer) app.syncer.kick(true);
            notice.textContent = T("sync_started");
          }),
          button(T("refresh_config"), async () => {
            try {
              await refreshConfig({ apply: true });
              notice.textContent = T("config_refreshed");
            } catch (error) {
              notice.textContent = T("config_failed", { detail: describe(error) });
            }
          }),
        ),
        h("h2", {}, T("quarantine_title")),
        h("p", {}, T("quarantine_intro")),
        h("div", { id: "quarantine" }),
        h("div", { class: "actions" }, button(T("quarantine_export"), exportQuarantine, "button", { id: "export" }), unpairButton),
        h("div", { class: "actions" }, button(T("close_settings"), restart, "button button-primary")),
      ),
    ],
    { idle: true },
  );
  fillSettingsStatus();
}

// ---------------------------------------------------------------- start

async function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  try {
    await navigator.serviceWorker.register("/kiosk/sw.js", { scope: "/kiosk" });
    await navigator.serviceWorker.ready;
    document.documentElement.dataset.offlineReady = "yes";
  } catch (error) {
    document.documentElement.dataset.offlineReady = `no: ${describe(error)}`;
  }
}

async function boot() {
  for (const type of ACTIVITY) document.addEventListener(type, onActivity, { capture: true, passive: true });
  // a page restored from the back/forward cache or a history step never shows old answers
  window.addEventListener("pageshow", (event) => event.persisted && restart());
  window.addEventListener("popstate", () => restart());
  const params = new URLSearchParams(location.search);
  const code = params.get("pair");
  if (location.search || location.hash) history.replaceState(null, "", "/kiosk");
  registerServiceWorker();
  store.persist();

  app.token = await store.get("token");
  app.device = await store.get("device");
  app.revoked = Boolean(await store.get("revoked"));
  const config = await store.get("config");
  if (config) applyConfig(config);

  if (code) {
    const form = showPair("", code);
    form.requestSubmit();
  } else if (!app.token) {
    showPair(app.revoked ? T("pair_revoked") : "");
  } else {
    startSync();
    if (!app.config) {
      try {
        await refreshConfig({ apply: true });
      } catch (_) {
        // shown by restart() below
      }
    }
    restart();
    if (app.config) refreshConfig().catch(() => {});
  }
  setInterval(() => app.token && refreshConfig().catch(() => {}), CONFIG_REFRESH_MS);
  document.documentElement.dataset.ready = "yes";
}

boot();
