/**
 * The lease calls, as one Lua script run by Redis: each call is one atomic step judged on Redis's
 * own clock (`TIME`, read inside the script), keeping the rules of `lease-rules.ts` (which the
 * engines that decide in JavaScript share) over the same two tables:
 * - `holders`: holder → "incarnation expiresAt" (ms on Redis's clock);
 * - `leases`: name → "incarnation\tterm\tholder" (holder empty once released);
 * - `holder-uses`: holder → how many lease rows name it, so that a lapsed holder no lease names
 *   any more can be forgotten (the table does not grow with every process that ever ran).
 * Holder ids and lease names have no control characters (`lease-rules.ts`), so a tab separates.
 *
 * KEYS: leases, holders, holder-uses. ARGV: the call, then its arguments:
 *   acquire name holder ttlMs | takeover name holder ttlMs term | renew holder ttlMs
 *   | release name holder | releaseHolder holder | read name
 * Answers (numbers are ms on Redis's clock):
 *   acquire, takeover → {granted 1|0, holder, term, expiresAt, now}
 *   renew → {} when the holder's tenure had lapsed, else {expiresAt, now}
 *   release → 1 | 0; releaseHolder → 0; read → {term, holder or '', expiresAt, now}
 */
export const LEASE_SCRIPT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local call = ARGV[1]

local function holderRow(holder)
  local value = redis.call('HGET', KEYS[2], holder)
  if not value then return nil end
  local incarnation, expiresAt = string.match(value, '^(%d+) (%d+)$')
  if not incarnation then error({ err = 'OMNISCIENT malformed lease holder row' }) end
  return { incarnation = tonumber(incarnation), expiresAt = tonumber(expiresAt) }
end

local function putHolder(holder, incarnation, expiresAt)
  redis.call('HSET', KEYS[2], holder, string.format('%d %d', incarnation, expiresAt))
end

local function leaseRow(name)
  local value = redis.call('HGET', KEYS[1], name)
  if not value then return nil end
  local incarnation, term, holder = string.match(value, '^(%d+)\\t(%d+)\\t(.*)$')
  if not incarnation then error({ err = 'OMNISCIENT malformed lease row' }) end
  return { incarnation = tonumber(incarnation), term = tonumber(term), holder = holder }
end

local function uses(holder, delta)
  if holder == '' then return end
  local left = redis.call('HINCRBY', KEYS[3], holder, delta)
  if left <= 0 then redis.call('HDEL', KEYS[3], holder) end
end

local function putLease(name, previous, holder, incarnation, term)
  redis.call('HSET', KEYS[1], name, string.format('%d\\t%d\\t', incarnation, term) .. holder)
  local before = previous and previous.holder or ''
  if before ~= holder then
    uses(before, -1)
    uses(holder, 1)
  end
end

local function liveHolder(lease)
  if lease.holder == '' then return nil end
  local row = holderRow(lease.holder)
  if row == nil or row.incarnation ~= lease.incarnation or row.expiresAt <= now then return nil end
  return row
end

local function forgetIfLapsed(holder)
  local row = holderRow(holder)
  if row ~= nil and row.expiresAt <= now and not redis.call('HGET', KEYS[3], holder) then
    redis.call('HDEL', KEYS[2], holder)
  end
end

local function grant(name, holder, ttl, lease, sameTenure)
  local mine = holderRow(holder)
  local incarnation = 1
  if mine ~= nil then
    if mine.expiresAt > now then incarnation = mine.incarnation else incarnation = mine.incarnation + 1 end
  end
  local expiresAt = now + ttl
  putHolder(holder, incarnation, expiresAt)
  if lease ~= nil and sameTenure then return {1, holder, lease.term, expiresAt, now} end
  local term = (lease and lease.term or 0) + 1
  putLease(name, lease, holder, incarnation, term)
  local previous = lease and lease.holder or ''
  if previous ~= '' and previous ~= holder then forgetIfLapsed(previous) end
  return {1, holder, term, expiresAt, now}
end

if call == 'acquire' or call == 'takeover' then
  local name, holder, ttl = ARGV[2], ARGV[3], tonumber(ARGV[4])
  local lease = leaseRow(name)
  local live = lease and liveHolder(lease)
  if lease == nil or live == nil or lease.holder == holder then
    return grant(name, holder, ttl, lease, live ~= nil)
  end
  if call == 'takeover' and lease.term == tonumber(ARGV[5]) then
    -- The previous holder keeps its tenure and its other leases; only this lease moves on.
    return grant(name, holder, ttl, lease, false)
  end
  return {0, lease.holder, lease.term, live.expiresAt, now}
elseif call == 'renew' then
  local holder, ttl = ARGV[2], tonumber(ARGV[3])
  local row = holderRow(holder)
  if row == nil or row.expiresAt <= now then return {} end
  putHolder(holder, row.incarnation, now + ttl)
  return {now + ttl, now}
elseif call == 'release' then
  local name, holder = ARGV[2], ARGV[3]
  local lease = leaseRow(name)
  if lease == nil or lease.holder ~= holder or liveHolder(lease) == nil then return 0 end
  putLease(name, lease, '', lease.incarnation, lease.term)
  return 1
elseif call == 'releaseHolder' then
  local holder = ARGV[2]
  local row = holderRow(holder)
  if row ~= nil and row.expiresAt > 0 then putHolder(holder, row.incarnation, 0) end
  return 0
elseif call == 'read' then
  local lease = leaseRow(ARGV[2])
  if lease == nil then return {0, '', 0, now} end
  local live = liveHolder(lease)
  if live == nil then return {lease.term, '', 0, now} end
  return {lease.term, lease.holder, live.expiresAt, now}
end
return redis.error_reply('OMNISCIENT unknown lease call')
`;
