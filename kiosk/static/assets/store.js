// The kiosk's local storage: one IndexedDB database with three stores.
//   kv          settings: device token, device, config, sync status (out-of-line keys)
//   queue       finished responses not yet acknowledged by the server (keyPath "id")
//   quarantine  responses the server refused (conflict/rejected): kept until staff export
//               them; never deleted by the app (keyPath "id")
const DB_NAME = "kiosk";
const DB_VERSION = 1;

let opening = null;

function request(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const req = indexedDB.open(DB_NAME, DB_VERSION);
      req.onupgradeneeded = () => {
        const db = req.result;
        if (!db.objectStoreNames.contains("kv")) db.createObjectStore("kv");
        if (!db.objectStoreNames.contains("queue")) {
          db.createObjectStore("queue", { keyPath: "id" }).createIndex("by_time", "submitted_at");
        }
        if (!db.objectStoreNames.contains("quarantine")) db.createObjectStore("quarantine", { keyPath: "id" });
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => {
        opening = null;
        reject(req.error);
      };
    });
  }
  return opening;
}

/** Run `body(stores)` in one transaction over `names`; resolve when it has committed. */
async function transaction(names, mode, body) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(names, mode, { durability: "strict" });
    const stores = Object.fromEntries(names.map((name) => [name, tx.objectStore(name)]));
    let result;
    Promise.resolve(body(stores)).then(
      (value) => {
        result = value;
      },
      (error) => {
        tx.abort();
        reject(error);
      },
    );
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("transaction aborted"));
  });
}

export async function get(key) {
  return transaction(["kv"], "readonly", ({ kv }) => request(kv.get(key)));
}

export async function set(key, value) {
  return transaction(["kv"], "readwrite", ({ kv }) => request(kv.put(value, key)));
}

export async function remove(...keys) {
  return transaction(["kv"], "readwrite", ({ kv }) => Promise.all(keys.map((key) => request(kv.delete(key)))));
}

/** Store a finished response; resolves only once the write is durable. */
export async function enqueue(item) {
  return transaction(["queue"], "readwrite", ({ queue }) => request(queue.add(item)));
}

/** The oldest `limit` queued responses (by submission time). */
export async function oldest(limit) {
  return transaction(["queue"], "readonly", ({ queue }) => request(queue.index("by_time").getAll(null, limit)));
}

export async function queueDepth() {
  return transaction(["queue"], "readonly", ({ queue }) => request(queue.count()));
}

export async function oldestUnsentAt() {
  const [first] = await oldest(1);
  return first ? first.submitted_at : null;
}

/** Settle a batch in one transaction: drop the acknowledged ids, move refused entries to quarantine. */
export async function settle(acknowledged, refused) {
  return transaction(["queue", "quarantine"], "readwrite", async ({ queue, quarantine }) => {
    for (const id of acknowledged) await request(queue.delete(id));
    for (const entry of refused) {
      await request(quarantine.put(entry));
      await request(queue.delete(entry.id));
    }
  });
}

export async function quarantined() {
  return transaction(["quarantine"], "readonly", ({ quarantine }) => request(quarantine.getAll()));
}

/** Ask the browser to keep this origin's storage under storage pressure. */
export async function persist() {
  try {
    if (navigator.storage && navigator.storage.persist) {
      if (await navigator.storage.persisted()) return true;
      return await navigator.storage.persist();
    }
  } catch (_) {
    // not granted: the queue still works, it may only be evicted under pressure
  }
  return false;
}
