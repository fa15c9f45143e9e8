// An unbounded in-memory adapter for oidc-provider.
//
// The package's own MemoryAdapter is an LRU capped at 1000 entries (sessions and grants are
// evicted under load) and keeps each grant's members in a Map it rescans on every write. This one
// keeps everything until it expires, with O(1) writes, so the benchmark measures the provider.

const records = new Map(); // "Model:id" -> { payload, expiresAt }
const sessionIds = new Map(); // session uid -> session id
const grantMembers = new Map(); // grantId -> Set of "Model:id"
const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken']);

function expiry(expiresIn) {
  return typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity;
}

function live(key) {
  const record = records.get(key);
  if (!record) return undefined;
  if (record.expiresAt <= Date.now()) {
    records.delete(key);
    return undefined;
  }
  return record.payload;
}

function sweep() {
  const now = Date.now();
  for (const [key, record] of records) {
    if (record.expiresAt <= now) records.delete(key);
  }
  for (const [grantId, keys] of grantMembers) {
    for (const key of keys) if (!records.has(key)) keys.delete(key);
    if (keys.size === 0) grantMembers.delete(grantId);
  }
}

setInterval(sweep, 10_000).unref();

export default class MapAdapter {
  constructor(model) {
    this.model = model;
  }

  key(id) {
    return `${this.model}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    records.set(key, { payload, expiresAt: expiry(expiresIn) });
    if (this.model === 'Session') sessionIds.set(payload.uid, id);
    if (GRANTABLE.has(this.model) && payload.grantId) {
      if (!grantMembers.has(payload.grantId)) grantMembers.set(payload.grantId, new Set());
      grantMembers.get(payload.grantId).add(key);
    }
  }

  async find(id) {
    return live(this.key(id));
  }

  async findByUid(uid) {
    const id = sessionIds.get(uid);
    return id === undefined ? undefined : this.find(id);
  }

  async findByUserCode() {
    return undefined; // no device flow here
  }

  async consume(id) {
    const payload = live(this.key(id));
    if (payload) payload.consumed = Math.floor(Date.now() / 1000);
  }

  async destroy(id) {
    records.delete(this.key(id));
  }

  async revokeByGrantId(grantId) {
    for (const key of grantMembers.get(grantId) ?? []) records.delete(key);
    grantMembers.delete(grantId);
  }
}
