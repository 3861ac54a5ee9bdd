//! The three Lua scripts, one per step of a delivery, and the keys they touch.
//!
//! Every script gets the body's three keys as `KEYS` (lease, done, meta: all under one hash
//! tag) and runs atomically on the server, so two instances never interleave inside a step.
//! Expiry is by Redis's clock: `PX` on the lease and the meta key, and the done set takes the
//! meta key's remaining time whenever it is written.

use pwh_core::DeliveryId;

/// The keys of one body, all under the hash tag `{<hex id>}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keys {
    /// `<prefix>{<hex id>}:lease`: the lease token of the delivery running the body, expiring
    /// `lease_for` after it was taken or renewed.
    pub lease: String,
    /// `<prefix>{<hex id>}:done`: a set of `"<event index>:<handler name>"`, the pairs that
    /// succeeded; absent when none did, or once the body is complete.
    pub done: String,
    /// `<prefix>{<hex id>}:meta`: `"0"` while the body is remembered, `"1"` once complete;
    /// expires `keep_for` after the first delivery began.
    pub meta: String,
}

impl Keys {
    pub(crate) fn new(prefix: &str, id: &DeliveryId) -> Self {
        let tag = format!("{prefix}{{{id}}}");
        Self {
            lease: format!("{tag}:lease"),
            done: format!("{tag}:done"),
            meta: format!("{tag}:meta"),
        }
    }
}

/// `KEYS`: lease, done, meta. `ARGV`: token, lease ms, keep ms.
/// Returns `{"busy"}`, `{"complete"}` or `{"run", <done pairs>...}`.
pub(crate) const BEGIN: &str = r"
-- The lease first: a body past keep_for whose delivery still holds the lease is busy.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {'busy'}
end
local state = redis.call('GET', KEYS[3])
if state == '1' then
  return {'complete'}
end
if not state then
  -- Never seen, or forgotten: start over, remembered for keep_for from now.
  redis.call('DEL', KEYS[2])
  redis.call('SET', KEYS[3], '0', 'PX', ARGV[3])
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
local reply = redis.call('SMEMBERS', KEYS[2])
table.insert(reply, 1, 'run')
return reply
";

/// `KEYS`: lease. `ARGV`: token, lease ms. Returns 1 when renewed, 0 when the token does not
/// hold the lease (any more).
pub(crate) const RENEW: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
";

/// `KEYS`: lease, done, meta. `ARGV`: token, `complete` or `release`, then the done pairs.
/// Returns 1 when the caller held the lease (and ended it), else 0.
pub(crate) const FINISH: &str = r"
local holder = redis.call('GET', KEYS[1]) == ARGV[1]
if holder then
  redis.call('DEL', KEYS[1])
end
local state = redis.call('GET', KEYS[3])
local keep = redis.call('PTTL', KEYS[3])
if not state or keep <= 0 then
  -- Forgotten (past keep_for): nothing to add to, and no key is written without an expiry.
  return holder and 1 or 0
end
if state == '1' then
  -- Complete already: the pairs are of no use any more.
  return holder and 1 or 0
end
if holder and ARGV[2] == 'complete' then
  -- Complete: a redelivery runs nothing, so the pairs are not needed.
  redis.call('SET', KEYS[3], '1', 'PX', keep)
  redis.call('DEL', KEYS[2])
  return 1
end
if #ARGV > 2 then
  for first = 3, #ARGV, 1000 do
    redis.call('SADD', KEYS[2], unpack(ARGV, first, math.min(first + 999, #ARGV)))
  end
  redis.call('PEXPIRE', KEYS[2], keep)
end
return holder and 1 or 0
";

/// A done pair as a member of the done set: `"<event index>:<handler name>"`.
pub(crate) fn member(event: u32, handler: &str) -> String {
    format!("{event}:{handler}")
}

/// The pair a member of the done set names; `None` for a member this crate did not write.
pub(crate) fn parse_member(member: &str) -> Option<(u32, &str)> {
    let (event, handler) = member.split_once(':')?;
    Some((event.parse().ok()?, handler))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_of_a_body_shares_one_hash_tag() {
        let id = DeliveryId([0xab; 32]);
        let keys = Keys::new("pwh:", &id);
        let tag = format!("{{{}}}", "ab".repeat(32));
        for key in [&keys.lease, &keys.done, &keys.meta] {
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
