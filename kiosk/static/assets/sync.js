// The upload loop: sends the queue in batches to POST /api/v1/kiosk/batches with the device
// token.  Deletes an item only when the server acknowledged it ("created" or "duplicate");
// moves "conflict"/"rejected" items to the quarantine; keeps everything else for the next
// try.  Failures back off exponentially (2 s doubling to 5 min, with jitter); going online
// or a new response starts a try at once.  A 401 means the token was revoked: the loop stops
// and tells the app.
import * as store from "./store.js";

export const BATCH_SIZE = 50;
export const BASE_DELAY_MS = 2000;
export const MAX_DELAY_MS = 5 * 60 * 1000;
const HEARTBEAT_MS = 5 * 60 * 1000;
const REQUEST_TIMEOUT_MS = 30000;

/** Delay before retry number `attempt` (1, 2, ...): exponential, capped, "equal jitter". */
export function backoff(attempt, random = Math.random) {
  const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** The payload of one queued item as the protocol wants it (local bookkeeping stripped). */
export function wireItem(item) {
  const wire = {
    id: item.id,
    answers: item.answers,
    started_at: item.started_at,
    submitted_at: item.submitted_at,
    partial: Boolean(item.partial),
  };
  if (item.page_timings && Object.keys(item.page_timings).length) wire.page_timings = item.page_timings;
  return wire;
}

export class HttpError extends Error {
  constructor(status, body) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export async function api(path, { token, method = "GET", body } = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
  const headers = { Accept: "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  try {
    const response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
      credentials: "omit",
      signal: controller.signal,
    });
    let data = null;
    if (response.status !== 204) {
      try {
        data = await response.json();
      } catch (_) {
        data = null;
      }
    }
    if (!response.ok) throw new HttpError(response.status, data);
    return data;
  } finally {
    clearTimeout(timer);
  }
}

export class Syncer {
  /**
   * @param {object} hooks  token(): the device token or null; heartbeat(): the heartbeat
   *   fields the app knows (app_version, instrument); revoked(): called on 401;
   *   changed(): called after every try (for the settings screen).
   */
  constructor(hooks) {
    this.hooks = hooks;
    this.attempt = 0;
    this.timer = null;
    this.running = false;
    this.again = false;
    this.stopped = false;
    this.batchSize = BATCH_SIZE;
    this.lastHeartbeat = 0;
    this.onOnline = () => this.kick(true);
  }

  start() {
    this.stopped = false;
    window.addEventListener("online", this.onOnline);
    this.kick(true);
  }

  stop() {
    this.stopped = true;
    window.removeEventListener("online", this.onOnline);
    clearTimeout(this.timer);
    this.timer = null;
  }

  /** Try now; `fresh` forgets the back-off (the network just came back, or staff asked). */
  kick(fresh = false) {
    if (this.stopped) return;
    if (fresh) this.attempt = 0;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(), 0);
  }

  schedule(ms) {
    clearTimeout(this.timer);
    if (!this.stopped) this.timer = setTimeout(() => this.run(), ms);
  }

  async heartbeat() {
    return {
      ...this.hooks.heartbeat(),
      queue_depth: await store.queueDepth(),
      oldest_unsent_at: await store.oldestUnsentAt(),
    };
  }

  async run() {
    if (this.stopped || this.running) return;
    const token = this.hooks.token();
    if (!token) return;
    this.running = true;
    this.again = false;
    let next = HEARTBEAT_MS;
    try {
      if (navigator.onLine === false) throw new Error("offline");
      const items = await store.oldest(this.batchSize);
      if (items.length) {
        const settled = await this.send(token, items);
        if (!settled.acknowledged && !settled.refused) throw new Error("no item was acknowledged");
        next = 0; // more may be waiting
        if (items.length < this.batchSize) next = HEARTBEAT_MS;
      } else if (Date.now() - this.lastHeartbeat >= HEARTBEAT_MS - 1000) {
        await api("/api/v1/kiosk/heartbeat", { token, method: "POST", body: await this.heartbeat() });
        this.lastHeartbeat = Date.now();
        await store.set("last_contact", new Date().toISOString());
      }
      this.attempt = 0;
    } catch (error) {
      if (error instanceof HttpError && error.status === 401) {
        this.running = false;
        this.stop();
        this.hooks.revoked();
        return;
      }
      if (error instanceof HttpError && error.status === 413 && this.batchSize > 1) {
        this.batchSize = Math.max(1, Math.floor(this.batchSize / 2));
        next = 0;
      } else {
        this.attempt += 1;
        next = backoff(this.attempt);
        await store.set("last_error", { at: new Date().toISOString(), detail: describe(error) }).catch(() => {});
      }
    } finally {
      this.running = false;
    }
    if (this.again) next = 0;
    this.hooks.changed();
    this.schedule(next);
  }

  async send(token, items) {
    const body = { items: items.map(wireItem), heartbeat: await this.heartbeat() };
    const reply = await api("/api/v1/kiosk/batches", { token, method: "POST", body });
    this.lastHeartbeat = Date.now();
    const sent = new Map(items.map((item) => [item.id, item]));
    const acknowledged = [];
    const refused = [];
    const now = new Date().toISOString();
    for (const result of (reply && reply.results) || []) {
      const item = sent.get(result.id);
      if (!item) continue;
      if (result.status === "created" || result.status === "duplicate") {
        acknowledged.push(item.id);
      } else if (result.status === "conflict" || result.status === "rejected") {
        refused.push({
          id: item.id,
          status: result.status,
          code: result.code || null,
          message: result.message || null,
          quarantined_at: now,
          item: wireItem(item),
        });
      }
      // any other status: keep the item and try again later
    }
    await store.settle(acknowledged, refused);
    await store.set("last_sync", now);
    await store.set("last_contact", now);
    return { acknowledged: acknowledged.length, refused: refused.length };
  }
}

export function describe(error) {
  if (error instanceof HttpError) {
    const body = error.body || {};
    return [error.status, body.code, body.error || body.message].filter(Boolean).join(" ");
  }
  return String((error && error.message) || error);
}
