/**
 * The append, as one Lua script run by Redis (`EVALSHA`): Redis runs one script at a time, so its
 * checks and writes cannot be separated by another writer, and positions are given in the order
 * appends commit (a reader following by position never skips one that commits later).
 *
 * It answers, as a flat array:
 * - `{'stored', firstPosition, versionBefore}`: the batch is stored, positions and versions from
 *   there on, one after another;
 * - `{'fenced', storedTerm}`, `{'conflict', currentVersion}`: refused, nothing written;
 * - `{'duplicate', id}`: an id of the batch is stored already (and it is no retry), or twice in it;
 * - `{'retry', record…}`: the batch's first id is stored, in this stream: the stored records of
 *   the run it would retry, for the caller to compare with the batch (`append-results.ts`).
 *
 * KEYS: head, events, ids, versions, terms, streams, names, stream:<id>.
 * ARGV: stream, streamJson, expectedKind ('any' | 'no-stream' | 'exists' | 'exact'),
 *       expectedVersion, fencingTerm ('' for none), channel, count, then per event:
 *       id, idJson, nameJson, name, atJson, dataJson, metaJson.
 * Everything a caller gives reaches the script as a key or an argument, never as script text.
 */
export const APPEND_SCRIPT = `
local stream = ARGV[1]
local streamJson = ARGV[2]
local expectedKind = ARGV[3]
local expected = tonumber(ARGV[4])
local term = ARGV[5]
local channel = ARGV[6]
local count = tonumber(ARGV[7])
local FIELDS = 7
local CHUNK = 500

-- The retry rule: a batch whose first id is stored retries the run stored from it, or is a mistake.
if count > 0 then
  local where = redis.call('HGET', KEYS[3], ARGV[8])
  if where then
    local position, version, storedStream = string.match(where, '^(%d+) (%d+) (.*)$')
    if storedStream ~= stream then return {'duplicate', ARGV[8]} end
    local first = tonumber(version)
    local positions = redis.call('LRANGE', KEYS[8], first - 1, first - 1 + count - 1)
    local answer = {'retry'}
    for from = 1, #positions, CHUNK do
      local records = redis.call('HMGET', KEYS[2], unpack(positions, from, math.min(from + CHUNK - 1, #positions)))
      for i = 1, #records do answer[#answer + 1] = records[i] or '' end
    end
    return answer
  end
  -- Every other id must be new, and once in the batch (the first was just found new).
  local seen = { [ARGV[8]] = true }
  local ids = {}
  for i = 1, count - 1 do
    local id = ARGV[8 + i * FIELDS]
    if seen[id] then return {'duplicate', id} end
    seen[id] = true
    ids[#ids + 1] = id
  end
  for from = 1, #ids, CHUNK do
    local found = redis.call('HMGET', KEYS[3], unpack(ids, from, math.min(from + CHUNK - 1, #ids)))
    for i = 1, #found do
      if found[i] then return {'duplicate', ids[from + i - 1]} end
    end
  end
end

local storedTerm = 0
if term ~= '' then
  storedTerm = tonumber(redis.call('HGET', KEYS[5], stream) or '0')
  if tonumber(term) < storedTerm then return {'fenced', storedTerm} end
end

local current = tonumber(redis.call('HGET', KEYS[4], stream) or '0')
local holds = expectedKind == 'any'
  or (expectedKind == 'no-stream' and current == 0)
  or (expectedKind == 'exists' and current > 0)
  or (expectedKind == 'exact' and current == expected)
if not holds then return {'conflict', current} end

if term ~= '' and tonumber(term) > storedTerm then redis.call('HSET', KEYS[5], stream, term) end
if count == 0 then return {'stored', 0, current} end

-- Published first: a command refused here (a user who may not publish) leaves nothing written.
-- Subscribers get the message once the script has ended, when everything below is visible.
local first = tonumber(redis.call('GET', KEYS[1]) or '0') + 1
local last = first + count - 1
redis.call('PUBLISH', channel, string.format('%d', last))
redis.call('SET', KEYS[1], string.format('%d', last))

-- Numbers are written with %d: Lua's own conversion would write 1e+14 from 100000000000000 on.
-- Written in chunks: Lua's unpack takes a few thousand values at most.
local records, ids, positions, names = {}, {}, {}, {}
local function flush()
  if #positions == 0 then return end
  redis.call('HSET', KEYS[2], unpack(records))
  redis.call('HSET', KEYS[3], unpack(ids))
  redis.call('RPUSH', KEYS[8], unpack(positions))
  redis.call('ZADD', KEYS[7], unpack(names))
  records, ids, positions, names = {}, {}, {}, {}
end
for i = 0, count - 1 do
  local base = 8 + i * FIELDS
  local position = first + i
  local version = current + i + 1
  records[#records + 1] = position
  records[#records + 1] = '[' .. string.format('%d,%d,', version, position) .. ARGV[base + 1] .. ',' .. streamJson
    .. ',' .. ARGV[base + 2] .. ',' .. ARGV[base + 4] .. ',' .. ARGV[base + 5] .. ',' .. ARGV[base + 6] .. ']'
  ids[#ids + 1] = ARGV[base]
  ids[#ids + 1] = string.format('%d %d ', position, version) .. stream
  positions[#positions + 1] = position
  names[#names + 1] = 0
  names[#names + 1] = ARGV[base + 3] .. '\\0' .. string.format('%016d', position)
  if #positions == CHUNK then flush() end
end
flush()
redis.call('HSET', KEYS[4], stream, string.format('%d', current + count))
if current == 0 then redis.call('ZADD', KEYS[6], 0, stream) end
return {'stored', first, current}
`;
