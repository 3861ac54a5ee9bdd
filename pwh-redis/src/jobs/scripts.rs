//! The jobs store's Lua scripts, one per operation of [`JobStore`](pwh_core::jobs::JobStore).
//!
//! Every script gets the layout key as `KEYS[1]` and the queue's key base
//! (`<prefix>{<prefix>jobs}:`) as `ARGV[1]`, and derives the other keys from it: they all
//! share the base's hash tag, so in a cluster every script stays in one slot. Each runs
//! atomically on the server and reads the time from Redis (`TIME`), so leases and waits are
//! measured by one clock whichever instance asks.

/// The version of the key layout these scripts read and write.
pub(crate) const LAYOUT_VERSION: &str = "1";

/// The consumer group of every ready stream.
pub(crate) const GROUP: &str = "pwh-workers";

fn with_prelude(body: &str) -> String {
    let prelude = super::prelude::PRELUDE
        .replace("__VERSION__", LAYOUT_VERSION)
        .replace("__GROUP__", GROUP);
    format!("{prelude}{body}")
}

/// `ARGV`: base, then 8 per job: id, handler, kind, payload, key, index, received, max.
/// Records each job not recorded yet; returns `{how many, the layout's epoch}`.
pub(crate) fn enqueue() -> String {
    with_prelude(
        r"
fresh_layout()
local added = 0
-- The handlers whose stream and group this call made sure of.
local known = {}
for i = 2, #ARGV, 8 do
  local id, handler = ARGV[i], ARGV[i + 1]
  local key = job_key(id)
  if redis.call('EXISTS', key) == 0 then
    local seq = redis.call('INCR', base .. 'seq')
    -- On its handler's ready stream first, so that one HSET writes the whole hash, entry
    -- included (as make_ready leaves it).
    local stream = ready_key(handler)
    if not known[handler] then
      ensure_group(stream)
      redis.call('SADD', base .. 'handlers', handler)
      known[handler] = true
    end
    local entry = redis.call('XADD', stream, '*', 'job', id)
    redis.call('HSET', key, 'handler', handler, 'kind', ARGV[i + 2], 'payload', ARGV[i + 3],
      'key', ARGV[i + 4], 'index', ARGV[i + 5], 'received', ARGV[i + 6], 'max', ARGV[i + 7],
      'attempts', 0, 'state', 'pending', 'fence', 0, 'updated', now, 'seq', seq,
      'entry', entry)
    redis.call('ZADD', ALL, seq, id)
    redis.call('ZADD', state_key('pending'), seq, id)
    added = added + 1
  end
end
return {added, epoch}
",
    )
}

/// `ARGV`: base, consumer, limit, lease ms, then the handlers' names.
/// Returns `{epoch, group_recreated ('0' or '1'), then 10 per job: id, handler, kind,
/// payload, key, index, received, max, token, attempt}`.
pub(crate) fn claim() -> String {
    with_prelude(
        r"
fresh_layout()
local consumer, limit, lease_ms = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local reply = {epoch, '0'}
local taken = 0
-- What a claim reads of a job's hash (not its error, lease or times), as a table, or nil.
local function claimable(id)
  local f = redis.call('HMGET', job_key(id), 'state', 'attempts', 'max', 'entry', 'fence',
    'seq', 'handler', 'kind', 'payload', 'key', 'index', 'received')
  if not f[1] then return nil end
  return {state = f[1], attempts = f[2], max = f[3], entry = f[4] or nil, fence = f[5],
    seq = f[6], handler = f[7], kind = f[8], payload = f[9], key = f[10], index = f[11],
    received = f[12]}
end
local function take(id, job, entry)
  local token = string.format('%d', math.max(tonumber(job.fence) + 1, now_us))
  local attempt = tonumber(job.attempts) + 1
  local lease_until = now + lease_ms
  redis.call('HSET', job_key(id), 'state', 'running', 'attempts', attempt, 'token', token,
    'fence', token, 'until', lease_until, 'updated', now, 'entry', entry)
  redis.call('ZREM', state_key(job.state), id)
  redis.call('ZADD', state_key('running'), job.seq, id)
  redis.call('ZADD', leases_key(job.handler), lease_until, id)
  table.insert(reply, id)
  for _, field in ipairs({'handler', 'kind', 'payload', 'key', 'index', 'received', 'max'}) do
    table.insert(reply, job[field] or '')
  end
  table.insert(reply, token)
  table.insert(reply, tostring(attempt))
  taken = taken + 1
end
local function claim_from(h, want)
  local stream = ready_key(h)
  local got = 0
  -- Running jobs whose lease ran out (by the lease-until in their hash): taken over with
  -- XCLAIM, or dead when that was their last attempt.
  local expired = redis.call('ZRANGEBYSCORE', leases_key(h), '-inf', now, 'LIMIT', 0, want)
  for _, id in ipairs(expired) do
    redis.call('ZREM', leases_key(h), id)
    local job = claimable(id)
    if job and job.state == 'running' then
      if tonumber(job.attempts) >= tonumber(job.max) then
        end_entry(h, job.entry)
        redis.call('HSET', job_key(id), 'state', 'dead', 'updated', now,
          'error', 'its last attempt was cut off (its lease ran out)')
        redis.call('HDEL', job_key(id), 'token', 'until', 'entry')
        redis.call('ZREM', state_key('running'), id)
        redis.call('ZADD', state_key('dead'), now, id)
      else
        if job.entry then
          redis.call('XCLAIM', stream, GROUP, consumer, 0, job.entry, 'JUSTID')
        end
        take(id, job, job.entry or '')
        got = got + 1
      end
    end
  end
  -- Retries whose wait is over: back on the ready stream.
  local due = redis.call('ZRANGEBYSCORE', delayed_key(h), '-inf', now, 'LIMIT', 0, 1000)
  for _, id in ipairs(due) do
    redis.call('ZREM', delayed_key(h), id)
    local state = redis.call('HGET', job_key(id), 'state')
    if state == 'pending' then make_ready(id, h) end
  end
  -- New entries, through the consumer group.
  while got < want and redis.call('EXISTS', stream) == 1 do
    local read = redis.pcall('XREADGROUP', 'GROUP', GROUP, consumer, 'COUNT', want - got,
      'STREAMS', stream, '>')
    if type(read) == 'table' and read.err then
      if string.find(read.err, 'NOGROUP') then
        -- The stream is there without its group: recreate it, and say so.
        redis.call('XGROUP', 'CREATE', stream, GROUP, '0')
        reply[2] = '1'
        read = redis.call('XREADGROUP', 'GROUP', GROUP, consumer, 'COUNT', want - got,
          'STREAMS', stream, '>')
      else
        return redis.error_reply(read.err)
      end
    end
    if not read or #read[1][2] == 0 then break end
    local asked = want - got
    for _, entry in ipairs(read[1][2]) do
      local eid, id = entry[1], entry[2][2]
      local job = id and claimable(id)
      if job and job.state == 'pending' and job.entry == eid then
        take(id, job, eid)
        got = got + 1
      else
        -- Discarded, or an entry its job no longer points at: nothing to run.
        end_entry(h, eid)
      end
    end
    -- Fewer entries than asked for: the stream has no more new ones.
    if #read[1][2] < asked then break end
  end
  return got
end
-- The handlers from a place that turns with the clock, so that none always comes last.
local handlers, named = {}, #ARGV - 4
for i = 0, named - 1 do
  table.insert(handlers, ARGV[5 + (i + now) % named])
end
-- A fair share of the limit for each handler first, then whatever is left.
for i, h in ipairs(handlers) do
  if taken >= limit then break end
  claim_from(h, math.ceil((limit - taken) / (#handlers - i + 1)))
end
for _, h in ipairs(handlers) do
  if taken >= limit or #handlers == 1 then break end
  claim_from(h, limit - taken)
end
return reply
",
    )
}

/// `ARGV`: base, id, token, lease ms. Returns 1 when renewed, 0 when the token does not
/// hold the job (a lease that ran out is still held while nobody claimed the job: its token
/// is the current one).
pub(crate) fn renew() -> String {
    with_prelude(
        r"
local key = job_key(ARGV[2])
local job = redis.call('HMGET', key, 'state', 'token', 'handler')
if job[1] ~= 'running' or job[2] ~= ARGV[3] then
  return 0
end
local lease_until = now + tonumber(ARGV[4])
redis.call('HSET', key, 'until', lease_until)
redis.call('ZADD', leases_key(job[3]), lease_until, ARGV[2])
return 1
",
    )
}

/// `ARGV`: base, id, token, `done` | `retry` | `dead`, wait ms, error. Returns 1 when
/// ended, 0 when the token does not hold the job's lease.
pub(crate) fn end() -> String {
    with_prelude(
        r"
local id = ARGV[2]
local key = job_key(id)
local f = redis.call('HMGET', key, 'state', 'token', 'handler', 'entry', 'seq')
if f[1] ~= 'running' or f[2] ~= ARGV[3] then
  return 0
end
local job = {handler = f[3], entry = f[4] or nil, seq = f[5]}
end_entry(job.handler, job.entry)
redis.call('HDEL', key, 'token', 'until', 'entry')
redis.call('ZREM', leases_key(job.handler), id)
redis.call('ZREM', state_key('running'), id)
local how = ARGV[4]
if how == 'done' then
  redis.call('HSET', key, 'state', 'done', 'updated', now)
  redis.call('ZADD', state_key('done'), now, id)
elseif how == 'retry' then
  redis.call('HSET', key, 'state', 'pending', 'updated', now, 'error', ARGV[6])
  redis.call('ZADD', state_key('pending'), job.seq, id)
  redis.call('ZADD', delayed_key(job.handler), now + tonumber(ARGV[5]), id)
else
  redis.call('HSET', key, 'state', 'dead', 'updated', now, 'error', ARGV[6])
  redis.call('ZADD', state_key('dead'), now, id)
end
return 1
",
    )
}

/// `ARGV`: base, state (or empty for all), limit (-1 for all), with payload (`1` or `0`).
/// Returns 9 or 10 per job: id, handler, kind, state, attempts, max, received, updated,
/// error (nil when none), and the payload when asked.
pub(crate) fn list() -> String {
    with_prelude(
        r"
local index = ARGV[2] == '' and ALL or state_key(ARGV[2])
local limit = tonumber(ARGV[3])
local ids = redis.call('ZRANGE', index, 0, limit < 0 and -1 or limit - 1)
local reply = {}
for _, id in ipairs(ids) do
  local f = redis.call('HMGET', job_key(id), 'handler', 'kind', 'state', 'attempts', 'max',
    'received', 'updated', 'error', 'payload')
  if f[1] then
    for _, v in ipairs({id, f[1], f[2], f[3], f[4], f[5], f[6], f[7]}) do
      table.insert(reply, v)
    end
    table.insert(reply, f[8])
    if ARGV[4] == '1' then table.insert(reply, f[9]) end
  end
end
return reply
",
    )
}

/// `ARGV`: base. Returns the numbers of pending, running, done and dead jobs.
pub(crate) fn counts() -> String {
    with_prelude(
        r"
local reply = {}
for _, s in ipairs({'pending', 'running', 'done', 'dead'}) do
  table.insert(reply, redis.call('ZCARD', state_key(s)))
end
return reply
",
    )
}

/// `ARGV`: base, id (or empty for the oldest dead jobs), limit. Makes dead jobs pending with
/// fresh attempts (up to `limit` of them without an id: one pass); returns how many.
pub(crate) fn retry() -> String {
    with_prelude(
        r"
fresh_layout()
local limit = tonumber(ARGV[3])
local ids = ARGV[2] ~= '' and {ARGV[2]} or redis.call('ZRANGE', state_key('dead'), 0, limit - 1)
local n = 0
for _, id in ipairs(ids) do
  local job = fields(job_key(id))
  if job and job.state == 'dead' then
    redis.call('HSET', job_key(id), 'state', 'pending', 'attempts', 0, 'updated', now)
    redis.call('ZREM', state_key('dead'), id)
    redis.call('ZADD', state_key('pending'), job.seq, id)
    make_ready(id, job.handler)
    n = n + 1
  elseif ARGV[2] == '' then
    -- Not a dead job (gone, or listed by mistake): out of the list, so the next pass moves on.
    redis.call('ZREM', state_key('dead'), id)
  end
end
return n
",
    )
}

/// `ARGV`: base, id. Deletes the job; returns 1 when there was one, else 0.
pub(crate) fn discard() -> String {
    with_prelude(
        r"
local job = fields(job_key(ARGV[2]))
if not job then return 0 end
forget(ARGV[2], job)
return 1
",
    )
}

/// `ARGV`: base, state, older than (ms), limit. Deletes up to `limit` jobs in the state
/// unchanged for that long (one pass); returns how many. Purging done jobs (the workers do, every minute) also
/// removes from the groups the consumers idle for an hour that hold no job.
pub(crate) fn purge() -> String {
    with_prelude(
        r"
local state, cutoff, limit = ARGV[2], now - tonumber(ARGV[3]), tonumber(ARGV[4])
local ids
if state == 'done' or state == 'dead' then
  -- Scored by when they ended.
  ids = redis.call('ZRANGEBYSCORE', state_key(state), '-inf', cutoff, 'LIMIT', 0, limit)
else
  ids = redis.call('ZRANGE', state_key(state), 0, limit - 1)
end
local n = 0
for _, id in ipairs(ids) do
  local job = fields(job_key(id))
  if not job then
    redis.call('ZREM', state_key(state), id)
  elseif job.state == state and tonumber(job.updated) <= cutoff then
    forget(id, job)
    n = n + 1
  end
end
if state == 'done' then
  -- Consumers of instances gone for an hour, holding nothing, leave the groups.
  for _, h in ipairs(redis.call('SMEMBERS', base .. 'handlers')) do
    local stream = ready_key(h)
    if redis.call('EXISTS', stream) == 1 then
      local ok, consumers = pcall(redis.call, 'XINFO', 'CONSUMERS', stream, GROUP)
      for _, c in ipairs(ok and consumers or {}) do
        local info = {}
        for i = 1, #c, 2 do info[c[i]] = c[i + 1] end
        if info.pending == 0 and info.idle > 3600000 then
          redis.call('XGROUP', 'DELCONSUMER', stream, GROUP, info.name)
        end
      end
    end
  end
end
return n
",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_script_checks_the_layout_with_the_markers_replaced() {
        for script in [
            enqueue(),
            claim(),
            renew(),
            end(),
            list(),
            counts(),
            retry(),
            discard(),
            purge(),
        ] {
            assert!(script.contains("PWHLAYOUT"));
            assert!(!script.contains("__"), "a marker left in {script}");
        }
    }
}
