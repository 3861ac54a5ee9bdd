//! The Lua every jobs script starts with: Redis's clock, the layout check (reading the
//! layout's epoch with its version, for the scripts that return it), the key names,
//! and the helpers that keep a job's hash, its stream entry and its indexes in step.
//!
//! The markers `__VERSION__` and `__GROUP__` are replaced by the layout version and the
//! consumer group's name.

/// What every script starts with: the clock, the layout check, the key names and helpers.
pub(super) const PRELUDE: &str = r"
local base = ARGV[1]
local time = redis.call('TIME')
local now_us = tonumber(time[1]) * 1000000 + tonumber(time[2])
local now = math.floor(now_us / 1000)
local layout = redis.call('HMGET', KEYS[1], 'version', 'epoch')
local version, epoch = layout[1], layout[2]
if version and version ~= '__VERSION__' then
  return redis.error_reply('PWHLAYOUT ' .. version)
end
local GROUP = '__GROUP__'
-- Writes the layout key (version and epoch) unless it is there: at first use, or after a wipe.
local function fresh_layout()
  if not version then
    epoch = string.format('%d', now_us)
    redis.call('HSET', KEYS[1], 'version', '__VERSION__', 'epoch', epoch)
    version = '__VERSION__'
  end
end
local function job_key(id) return base .. 'job:' .. id end
local function ready_key(h) return base .. 'ready:' .. h end
local function delayed_key(h) return base .. 'delayed:' .. h end
local function leases_key(h) return base .. 'leases:' .. h end
local function state_key(s) return base .. 'state:' .. s end
local ALL = base .. 'all'
-- A job's hash as a table, or nil.
local function fields(key)
  local flat = redis.call('HGETALL', key)
  if #flat == 0 then return nil end
  local t = {}
  for i = 1, #flat, 2 do t[flat[i]] = flat[i + 1] end
  return t
end
local function ensure_group(stream)
  if redis.call('EXISTS', stream) == 0 then
    redis.call('XGROUP', 'CREATE', stream, GROUP, '0', 'MKSTREAM')
  end
end
-- Appends a job to its handler's ready stream; its entry id is kept in its hash.
local function make_ready(id, handler)
  local stream = ready_key(handler)
  ensure_group(stream)
  local entry = redis.call('XADD', stream, '*', 'job', id)
  redis.call('HSET', job_key(id), 'entry', entry)
end
-- Acknowledges and deletes a job's stream entry: the stream keeps only live entries.
local function end_entry(handler, entry)
  if entry and entry ~= '' then
    local stream = ready_key(handler)
    redis.call('XACK', stream, GROUP, entry)
    redis.call('XDEL', stream, entry)
  end
end
-- Deletes a job and every trace of it.
local function forget(id, job)
  end_entry(job.handler, job.entry)
  redis.call('ZREM', ALL, id)
  redis.call('ZREM', state_key(job.state), id)
  redis.call('ZREM', leases_key(job.handler), id)
  redis.call('ZREM', delayed_key(job.handler), id)
  redis.call('DEL', job_key(id))
end
";
