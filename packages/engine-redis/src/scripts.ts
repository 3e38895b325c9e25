import { createHash } from 'node:crypto';

/**
 * The Lua scripts that make each operation atomic in Redis. Every script takes the clock from Redis (`TIME`),
 * so publication times and expiries agree across nodes whatever their clocks say.
 *
 * Layout (see keys.ts): a meta hash (`e` epoch, `o` last offset, `h` history age limit, `m` metadata ttl) and a
 * stream whose entry IDs are `<offset>-0`, with fields `t` (time ms), `i` (publisher info JSON or empty) and
 * `d` (payload JSON).
 */
export interface Script {
  readonly source: string;
  readonly sha: string;
}

function script(source: string): Script {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

const NOW = `
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
`;

/** Returns an offset from a stream entry ID `<offset>-0`. */
const OFFSET_OF = `
local function offsetOf(id) return tonumber(string.match(id, '^(%d+)')) end
`;

/**
 * Publish: idempotency check, position assignment, history append and trimming, and the pub/sub publish, in
 * one step, so no two publications share an offset and nothing is delivered before it is in history.
 * KEYS: meta, stream, idempotency key, pending set. ARGV: epoch for a new stream, data, info, history size,
 * history ttl ms, meta ttl ms, idempotency ttl ms (0: no key), pub/sub channel, `PUBLISH`, `SPUBLISH` or empty.
 * Returns {duplicate 0|1, encoded publication} (codec.ts).
 *
 * Empty instead of a publish command (`waitReplicas`): the publication joins the pending set instead of going
 * live, and `RELEASE` publishes it once replicas hold it. A duplicate then rewrites its idempotency key
 * unchanged, a write of this connection that replicates after the original, so that the caller's `WAIT` also
 * covers a first attempt made elsewhere.
 */
export const PUBLISH = script(`${NOW}
local meta, stream, idem, pending = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local idemTtl = tonumber(ARGV[7])
if idemTtl > 0 then
  local seen = redis.call('GET', idem)
  if seen then
    if ARGV[9] == '' then redis.call('SET', idem, seen, 'KEEPTTL') end
    return {1, seen}
  end
end
local epoch = redis.call('HGET', meta, 'e')
if not epoch then
  -- A new stream (or one whose metadata was lost): a new epoch, and no history from an earlier life.
  epoch = ARGV[1]
  redis.call('DEL', stream, pending)
  redis.call('HSET', meta, 'e', epoch, 'o', 0)
end
local offset = redis.call('HINCRBY', meta, 'o', 1)
local size, ttl, metaTtl = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
redis.call('HSET', meta, 'h', ttl, 'm', metaTtl)
if size > 0 then
  redis.call('XADD', stream, 'MAXLEN', size, offset .. '-0', 't', now, 'i', ARGV[3], 'd', ARGV[2])
  -- Trim by age with bounded work per publish: the newest entry is always young, so this ends.
  local cutoff = now - ttl
  for _ = 1, 8 do
    local batch = redis.call('XRANGE', stream, '-', '+', 'COUNT', 100)
    local keep = nil
    for _, entry in ipairs(batch) do
      if tonumber(entry[2][2]) >= cutoff then keep = entry[1] break end
    end
    if keep then
      redis.call('XTRIM', stream, 'MINID', keep)
      break
    end
    local lastId = batch[#batch][1]
    redis.call('XTRIM', stream, 'MINID', (tonumber(string.match(lastId, '^(%d+)')) + 1) .. '-0')
  end
  redis.call('PEXPIRE', stream, math.max(ttl, 1))
else
  redis.call('DEL', stream)
end
redis.call('PEXPIRE', meta, math.max(metaTtl, ttl, 1))
local msg = 'p\\n' .. epoch .. '\\n' .. offset .. '\\n' .. now .. '\\n' .. ARGV[3] .. '\\n' .. ARGV[2]
if idemTtl > 0 then redis.call('SET', idem, msg, 'PX', idemTtl) end
if ARGV[9] ~= '' then
  redis.call(ARGV[9], ARGV[8], msg)
else
  redis.call('ZADD', pending, offset, msg)
  redis.call('PEXPIRE', pending, math.max(metaTtl, ttl, 1))
end
return {0, msg}
`);

/**
 * Release (`waitReplicas`): publishes live, in offset order, every pending publication of the channel up to
 * `offset`, once a `WAIT` confirmed that replicas hold the caller's publication at that offset. Replication keeps
 * the master's order, so they hold every earlier one too, whoever published it: releasing them all in one step
 * keeps each channel's live order the offset order even with publishes from several nodes, whose confirmations
 * return in any order. Entries of an earlier epoch (the stream was lost, and a read began a new one) are dropped,
 * never published.
 * KEYS: meta, pending set. ARGV: epoch, offset, `PUBLISH` or `SPUBLISH`, pub/sub channel.
 * Returns the number published.
 */
export const RELEASE = script(`
local meta, pending = KEYS[1], KEYS[2]
-- Another epoch now: the caller's publication went with the stream, and what is pending is not confirmed.
if redis.call('HGET', meta, 'e') ~= ARGV[1] then return 0 end
local due = redis.call('ZRANGEBYSCORE', pending, '-inf', ARGV[2])
if #due == 0 then return 0 end
redis.call('ZREMRANGEBYSCORE', pending, '-inf', ARGV[2])
local current = 'p\\n' .. ARGV[1] .. '\\n'
local published = 0
for _, msg in ipairs(due) do
  if string.sub(msg, 1, #current) == current then
    redis.call(ARGV[3], ARGV[4], msg)
    published = published + 1
  end
end
return published
`);

/** Default life of the metadata of a stream that was only read, never published to (matches the memory engine). */
export const READ_ONLY_META_TTL_MS = 24 * 60 * 60_000;

/**
 * Top and read: the stream's position (creating its epoch when it has none) and, for a read, the publications
 * after `since` or the newest ones, with whether `since` can be recovered.
 * KEYS: meta, stream. ARGV: epoch for a new stream, mode (`top` | `read`), has since (1|0), since epoch,
 * since offset, limit (-1: none).
 * Returns {epoch, top} for `top`; {epoch, top, recovered 1|0, then per publication: offset, time, info, data}.
 */
export const READ = script(`${NOW}${OFFSET_OF}
local meta, stream = KEYS[1], KEYS[2]
local state = redis.call('HMGET', meta, 'e', 'o', 'h', 'm')
local epoch, top = state[1], tonumber(state[2])
if not epoch then
  epoch, top = ARGV[1], 0
  redis.call('DEL', stream)
  redis.call('HSET', meta, 'e', epoch, 'o', 0)
  redis.call('PEXPIRE', meta, ${READ_ONLY_META_TTL_MS})
elseif ARGV[2] == 'top' then
  -- A reader at the top keeps the metadata alive, so it can still resume with recovered = true.
  redis.call('PEXPIRE', meta, math.max(tonumber(state[4]) or ${READ_ONLY_META_TTL_MS}, tonumber(state[3]) or 0, 1))
end
if ARGV[2] == 'top' then return {epoch, top} end
local ttl = tonumber(state[3])
local cutoff = -1
if ttl then cutoff = now - ttl end
local limit = tonumber(ARGV[6])
local out = {epoch, top, 1}
local function append(entries)
  for _, entry in ipairs(entries) do
    if limit >= 0 and (#out - 3) / 4 >= limit then return end
    local f = entry[2]
    if tonumber(f[2]) >= cutoff then
      out[#out + 1] = offsetOf(entry[1])
      out[#out + 1] = f[2]
      out[#out + 1] = f[4]
      out[#out + 1] = f[6]
    end
  end
end
if ARGV[3] == '1' then
  local since = tonumber(ARGV[5])
  if ARGV[4] == epoch and since <= top then
    if since == top then return out end
    local entries
    if limit >= 0 then
      entries = redis.call('XRANGE', stream, (since + 1) .. '-0', '+', 'COUNT', math.max(limit, 1))
    else
      entries = redis.call('XRANGE', stream, (since + 1) .. '-0', '+')
    end
    local first = entries[1]
    if first and offsetOf(first[1]) == since + 1 and tonumber(first[2][2]) >= cutoff then
      append(entries)
      return out
    end
  end
  out[3] = 0
end
-- No since, or since cannot be recovered: the newest publications held.
if limit == 0 then return out end
if limit < 0 then
  append(redis.call('XRANGE', stream, '-', '+'))
else
  local newest = redis.call('XREVRANGE', stream, '+', '-', 'COUNT', limit)
  local ascending = {}
  for k = #newest, 1, -1 do ascending[#ascending + 1] = newest[k] end
  append(ascending)
end
return out
`);

const DROP_EXPIRED = `
local dead = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 1000)
if #dead > 0 then
  redis.call('HDEL', KEYS[1], unpack(dead))
  redis.call('ZREM', KEYS[2], unpack(dead))
end
`;

/**
 * Presence add: upsert the entry with its expiry, drop expired entries, and let both keys live as long as their
 * longest-lived entry. KEYS: hash, expiry zset. ARGV: client, entry JSON, ttl ms.
 */
export const PRESENCE_ADD = script(`${NOW}
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
${DROP_EXPIRED}
local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
local ms = math.max(math.ceil(tonumber(last[2]) - now), 1)
redis.call('PEXPIRE', KEYS[1], ms)
redis.call('PEXPIRE', KEYS[2], ms)
return 1
`);

/** Presence remove. KEYS: hash, expiry zset. ARGV: client. */
export const PRESENCE_REMOVE = script(`
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
`);

/** Presence list: the live entries' JSON. KEYS: hash, expiry zset. */
export const PRESENCE_LIST = script(`${NOW}
${DROP_EXPIRED}
local live = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. now, '+inf')
local out = {}
for start = 1, #live, 500 do
  local chunk = {}
  for k = start, math.min(start + 499, #live) do chunk[#chunk + 1] = live[k] end
  local values = redis.call('HMGET', KEYS[1], unpack(chunk))
  for _, v in ipairs(values) do if v then out[#out + 1] = v end end
end
return out
`);

/**
 * Occupancy: a sorted set per channel of the nodes with subscribers, scored by each entry's expiry (ms). Occupy.
 * KEYS: the set. ARGV: node, ttl ms. Returns 1 when the channel had no live node before (it became occupied).
 */
export const OCCUPY = script(`${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local before = redis.call('ZCARD', KEYS[1])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
redis.call('PEXPIRE', KEYS[1], math.max(math.ceil(tonumber(last[2]) - now), 1))
if before == 0 then return 1 end
return 0
`);

/** Vacate. KEYS: the set. ARGV: node. Returns 1 when that removed the channel's last live node. */
export const VACATE = script(`${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
if removed == 1 and redis.call('ZCARD', KEYS[1]) == 0 then return 1 end
return 0
`);
