//! The three Lua scripts, one per step of a delivery, and the keys they touch.
//!
//! Every script gets the body's keys as `KEYS` (all under one hash tag, so a cluster keeps
//! them in one slot) and runs atomically on the server, so two instances never interleave
//! inside a step. Expiry is by Redis's clock: `PX` on the lease and the meta key, and the set
//! of pairs left takes the meta key's remaining time whenever it is written. A lease request
//! carries the instant its caller gives up (`not_after`, ms since the Unix epoch by the app's
//! clock), checked against Redis's `TIME`: a request that a stall delayed past it takes
//! nothing. Lease tokens are fencing tokens: each lease of a body gets a greater one (the
//! larger of the last token plus one and Redis's clock in microseconds, so they keep growing
//! after the body is forgotten), and only the current one renews or releases the lease.

use pwh_core::delivery::DeliveryId;

/// The keys of one body, all under the hash tag `{<hex id>}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    /// `<prefix>{<hex id>}:lease`: the lease token of the delivery running the body, expiring
    /// `lease_for` after it was taken or renewed.
    pub lease: String,
    /// `<prefix>{<hex id>}:left`: a set of `"<event index>:<handler name>"`, the pairs left to
    /// do once a delivery finished with some left; absent before, and once the body is
    /// complete.
    pub left: String,
    /// `<prefix>{<hex id>}:meta`: a hash, `state` (`"0"` nothing done yet, `"p"` pairs left,
    /// `"1"` complete) and `fence` (the last lease token); expires `keep_for` after the first
    /// delivery began.
    pub meta: String,
    /// `<prefix>{<hex id>}:scratch`: a set that lives within one script (to intersect what two
    /// deliveries left).
    pub scratch: String,
}

impl Keys {
    pub(crate) fn new(prefix: &str, id: &DeliveryId) -> Self {
        let tag = format!("{prefix}{{{id}}}");
        Self {
            lease: format!("{tag}:lease"),
            left: format!("{tag}:left"),
            meta: format!("{tag}:meta"),
            scratch: format!("{tag}:scratch"),
        }
    }
}

/// Redis's clock in ms and µs, and whether the caller gave up (`ARGV[n]` is `not_after`).
const CLOCK: &str = r"
local time = redis.call('TIME')
local now_us = tonumber(time[1]) * 1000000 + tonumber(time[2])
local function late(not_after)
  return math.floor(now_us / 1000) > tonumber(not_after)
end
";

/// `KEYS`: lease, left, meta. `ARGV`: lease ms, keep ms, not_after.
/// Returns `{"late"}`, `{"busy"}`, `{"complete"}`, `{"first", token}` or
/// `{"left", token, <pairs left>...}`.
pub(crate) fn begin() -> String {
    format!(
        "{CLOCK}{}",
        r"
if late(ARGV[3]) then
  return {'late'}
end
-- The lease first: a body past keep_for whose delivery still holds the lease is busy.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {'busy'}
end
local meta = redis.call('HMGET', KEYS[3], 'state', 'fence')
local state = meta[1]
if state == '1' then
  return {'complete'}
end
local token = string.format('%d', math.max(tonumber(meta[2] or '0') + 1, now_us))
if not state then
  -- Never seen, or forgotten: start over, remembered for keep_for from now.
  redis.call('DEL', KEYS[2])
  redis.call('HSET', KEYS[3], 'state', '0', 'fence', token)
  redis.call('PEXPIRE', KEYS[3], ARGV[2])
  state = '0'
else
  redis.call('HSET', KEYS[3], 'fence', token)
end
redis.call('SET', KEYS[1], token, 'PX', ARGV[1])
if state == '0' then
  return {'first', token}
end
local reply = redis.call('SMEMBERS', KEYS[2])
table.insert(reply, 1, token)
table.insert(reply, 1, 'left')
return reply
"
    )
}

/// `KEYS`: lease. `ARGV`: token, lease ms, not_after. Returns 1 when renewed, 0 when the
/// token does not hold the lease (any more), -1 when the caller gave up already.
pub(crate) fn renew() -> String {
    format!(
        "{CLOCK}{}",
        r"
if late(ARGV[3]) then
  return -1
end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
"
    )
}

/// `KEYS`: lease, left, meta, scratch. `ARGV`: token, `first` (the pairs that follow are those
/// the delivery left) or `retry` (those it finished), then the pairs.
/// Returns 1 when the caller held the lease (and released it), else 0.
pub(crate) const FINISH: &str = r"
local holder = redis.call('GET', KEYS[1]) == ARGV[1]
if holder then
  redis.call('DEL', KEYS[1])
end
local state = redis.call('HGET', KEYS[3], 'state')
local keep = redis.call('PTTL', KEYS[3])
if not state or keep <= 0 or state == '1' then
  -- Forgotten (past keep_for), or complete already: nothing to record.
  return holder and 1 or 0
end
local function each_chunk(command, key)
  for first = 3, #ARGV, 1000 do
    redis.call(command, key, unpack(ARGV, first, math.min(first + 999, #ARGV)))
  end
end
if ARGV[2] == 'first' then
  if state == '0' then
    -- The first record: what this delivery left is what is left.
    each_chunk('SADD', KEYS[2])
  else
    -- Another delivery recorded first: what both left is left.
    redis.call('DEL', KEYS[4])
    each_chunk('SADD', KEYS[4])
    redis.call('SINTERSTORE', KEYS[2], KEYS[2], KEYS[4])
    redis.call('DEL', KEYS[4])
  end
elseif state == 'p' then
  each_chunk('SREM', KEYS[2])
else
  -- A retry's record for a body with nothing recorded (forgotten meanwhile): unknown.
  return holder and 1 or 0
end
-- A first record of nothing left (the set is absent in state '0'), or an empty set: complete.
local nothing_left = (state == '0' and ARGV[2] == 'first' and #ARGV < 3)
  or redis.call('EXISTS', KEYS[2]) == 0
if nothing_left then
  -- Nothing left: complete, and a redelivery runs nothing.
  redis.call('HSET', KEYS[3], 'state', '1')
else
  redis.call('HSET', KEYS[3], 'state', 'p')
  redis.call('PEXPIRE', KEYS[2], keep)
end
return holder and 1 or 0
";

/// A pair as a member of the set of pairs left: `"<event index>:<handler name>"`.
pub(crate) fn member(event: u32, handler: &str) -> String {
    format!("{event}:{handler}")
}

/// The pair a member of the set of pairs left names; `None` for a member this crate did not write.
pub(crate) fn parse_member(member: &str) -> Option<(u32, &str)> {
    let (event, handler) = member.split_once(':')?;
    Some((event.parse().ok()?, handler))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_of_a_body_shares_one_hash_tag() {
        let id = DeliveryId([0xab; 16]);
        let keys = Keys::new("pwh:", &id);
        let tag = format!("{{{}}}", "ab".repeat(16));
        for key in [&keys.lease, &keys.left, &keys.meta, &keys.scratch] {
            assert!(key.starts_with(&format!("pwh:{tag}:")), "{key}");
        }
        assert_eq!(keys.lease, format!("pwh:{tag}:lease"));
    }

    #[test]
    fn members_round_trip_with_colons_in_handler_names() {
        let m = member(17, "app::handlers::greet");
        assert_eq!(m, "17:app::handlers::greet");
        assert_eq!(parse_member(&m), Some((17, "app::handlers::greet")));
        assert_eq!(parse_member("x:y"), None);
        assert_eq!(parse_member("nocolon"), None);
    }
}
