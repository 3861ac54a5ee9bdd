//! The webhooks of a run: distinct bodies, each signed once.

use std::collections::BTreeMap;

use bytes::Bytes;
use pwh_core::KeyRing;
use serde_json::{json, Value};

/// The event kinds the example app handles, each counted under this name in `/state`.
pub(crate) const KINDS: [&str; 7] = [
    "channel_occupied",
    "channel_vacated",
    "member_added",
    "member_removed",
    "client_event",
    "cache_miss",
    "subscription_count",
];

/// The kinds of a `--deferred` run: each event a `member_added`, whose deferred handler
/// `welcome_member` makes it a job.
pub(crate) const DEFERRED_KINDS: [&str; 1] = ["member_added"];

/// One webhook to deliver: the exact bytes and signature every delivery of it sends.
#[derive(Debug, Clone)]
pub(crate) struct Delivery {
    /// The raw JSON body.
    pub(crate) body: Bytes,
    /// `X-Pusher-Signature`: lowercase hex HMAC-SHA256 of `body`.
    pub(crate) signature: String,
}

/// One event sent: its kind, its channel (no two events share one), and its webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PlannedEvent {
    /// The event kind, e.g. `channel_occupied`.
    pub(crate) kind: &'static str,
    /// Its channel, unique to it.
    pub(crate) channel: String,
    /// The index of its webhook in [`Plan::deliveries`].
    pub(crate) webhook: usize,
}

/// The webhooks of a run and the events they carry.
#[derive(Debug)]
pub(crate) struct Plan {
    /// The webhooks, in sending order.
    pub(crate) deliveries: Vec<Delivery>,
    /// Events per kind, over all webhooks.
    pub(crate) events_by_kind: BTreeMap<&'static str, u64>,
    /// Every event, in sending order.
    pub(crate) planned: Vec<PlannedEvent>,
}

impl Plan {
    /// Events in all.
    pub(crate) fn events(&self) -> u64 {
        self.events_by_kind.values().sum()
    }
}

/// A small deterministic generator (splitmix64), so that a run is reproducible.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// `n` distinct webhooks created at `time_ms`, signed by `key` of `keys`: 1 to 3 events each,
/// of the `kinds` given ([`KINDS`]: every kind the app handles), each on its own channel
/// (`run` keeps the names of two runs apart), so that no two events are alike.
///
/// `None` when `keys` has no token named `key` or `kinds` is empty.
pub(crate) fn plan(
    n: usize,
    run: &str,
    time_ms: u64,
    keys: &KeyRing,
    key: &str,
    kinds: &[&'static str],
) -> Option<Plan> {
    if kinds.is_empty() {
        return None;
    }
    let mut rng = SplitMix(0x5057_4821);
    let mut deliveries = Vec::with_capacity(n);
    let mut events_by_kind: BTreeMap<&'static str, u64> = KINDS.iter().map(|k| (*k, 0)).collect();
    let mut planned = Vec::with_capacity(n * 2);
    for i in 0..n {
        let count = 1 + rng.below(3) as usize;
        let events: Vec<Value> = (0..count)
            .map(|j| {
                let kind = kinds[rng.below(kinds.len() as u64) as usize];
                *events_by_kind.entry(kind).or_default() += 1;
                let event = event(kind, &format!("{run}-{i}-{j}"), &mut rng);
                planned.push(PlannedEvent {
                    kind,
                    channel: event["channel"].as_str().unwrap_or_default().to_owned(),
                    webhook: i,
                });
                event
            })
            .collect();
        let body = serde_json::to_vec(&json!({"time_ms": time_ms, "events": events})).ok()?;
        let signature = keys.sign(key, &body)?;
        deliveries.push(Delivery {
            body: Bytes::from(body),
            signature,
        });
    }
    Some(Plan {
        deliveries,
        events_by_kind,
        planned,
    })
}

/// The kinds of a large body, in turn: the tracker keeps each kind's channels in a map of its
/// own (10,000 entries each by default), so 15,000 events fit in it.
const LARGE_KINDS: [&str; 4] = [
    "channel_occupied",
    "cache_miss",
    "member_added",
    "subscription_count",
];

/// One body of `events` small events (short channel names, `run` keeping them apart from other
/// runs'), signed by `key` of `keys`: the plan of a single webhook. `None` when `keys` has no
/// token named `key`.
pub(crate) fn large(
    events: usize,
    run: &str,
    time_ms: u64,
    keys: &KeyRing,
    key: &str,
) -> Option<Plan> {
    let mut events_by_kind: BTreeMap<&'static str, u64> = BTreeMap::new();
    let mut planned = Vec::with_capacity(events);
    let list: Vec<Value> = (0..events)
        .map(|i| {
            let kind = LARGE_KINDS[i % LARGE_KINDS.len()];
            *events_by_kind.entry(kind).or_default() += 1;
            let (channel, event) = match kind {
                "cache_miss" => {
                    let channel = format!("cache-{run}{i}");
                    let event = json!({"name": kind, "channel": channel});
                    (channel, event)
                }
                "member_added" => {
                    let channel = format!("presence-{run}{i}");
                    let event = json!({"name": kind, "channel": channel, "user_id": "u"});
                    (channel, event)
                }
                "subscription_count" => {
                    let channel = format!("{run}{i}");
                    let event = json!({"name": kind, "channel": channel, "subscription_count": 1});
                    (channel, event)
                }
                _ => {
                    let channel = format!("{run}{i}");
                    (channel.clone(), json!({"name": kind, "channel": channel}))
                }
            };
            planned.push(PlannedEvent {
                kind,
                channel,
                webhook: 0,
            });
            event
        })
        .collect();
    let body = serde_json::to_vec(&json!({"time_ms": time_ms, "events": list})).ok()?;
    let signature = keys.sign(key, &body)?;
    Some(Plan {
        deliveries: vec![Delivery {
            body: Bytes::from(body),
            signature,
        }],
        events_by_kind,
        planned,
    })
}

/// One event of `kind` on a channel named after `id`.
fn event(kind: &str, id: &str, rng: &mut SplitMix) -> Value {
    let user = format!("user-{}", rng.below(1_000));
    match kind {
        "member_added" | "member_removed" => {
            json!({"name": kind, "channel": format!("presence-load-{id}"), "user_id": user})
        }
        "client_event" => {
            // Pusher sends `data` as a JSON string; `user_id` only on presence channels.
            let data = json!({"text": format!("hello from {user}")}).to_string();
            if rng.below(2) == 0 {
                json!({
                    "name": kind, "channel": format!("presence-load-{id}"),
                    "event": "client-typing", "data": data, "socket_id": "1234.5678",
                    "user_id": user,
                })
            } else {
                json!({
                    "name": kind, "channel": format!("private-load-{id}"),
                    "event": "client-typing", "data": data, "socket_id": "1234.5678",
                })
            }
        }
        "cache_miss" => json!({"name": kind, "channel": format!("cache-load-{id}")}),
        "subscription_count" => json!({
            "name": kind, "channel": format!("load-{id}"),
            "subscription_count": rng.below(10_000),
        }),
        _ => json!({"name": kind, "channel": format!("load-{id}")}),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use pwh_core::Token;

    use super::*;

    #[test]
    fn bodies_are_distinct_signed_and_counted() {
        let keys = KeyRing::new([Token::new("k", "s")]);
        let plan = plan(300, "t", 1_700_000_000_000, &keys, "k", &KINDS).unwrap();
        assert_eq!(plan.deliveries.len(), 300);
        let mut channels = HashSet::new();
        let mut counted: BTreeMap<String, u64> = BTreeMap::new();
        for d in &plan.deliveries {
            assert!(keys.verify(Some("k"), Some(&d.signature), &d.body).is_ok());
            let hook: Value = serde_json::from_slice(&d.body).unwrap();
            let events = hook["events"].as_array().unwrap();
            assert!((1..=3).contains(&events.len()));
            for e in events {
                assert!(channels.insert(e["channel"].as_str().unwrap().to_owned()));
                *counted
                    .entry(e["name"].as_str().unwrap().to_owned())
                    .or_default() += 1;
                if e["name"] == "client_event" {
                    assert!(e["data"].is_string());
                }
            }
        }
        assert_eq!(channels.len() as u64, plan.events());
        assert_eq!(plan.planned.len() as u64, plan.events());
        assert!(plan.planned.iter().all(|e| channels.contains(&e.channel)));
        assert_eq!(plan.planned.last().map(|e| e.webhook), Some(299));
        for kind in KINDS {
            assert!(plan.events_by_kind[kind] > 0, "{kind} never sent");
            assert_eq!(counted[kind], plan.events_by_kind[kind]);
        }
        assert!(super::plan(1, "t", 0, &keys, "other", &KINDS).is_none());
        assert!(super::plan(1, "t", 0, &keys, "k", &[]).is_none());
    }

    #[test]
    fn a_deferred_plan_is_all_member_added() {
        let keys = KeyRing::new([Token::new("k", "s")]);
        let plan = plan(200, "d", 1_700_000_000_000, &keys, "k", &DEFERRED_KINDS).unwrap();
        assert!(plan.planned.iter().all(|e| e.kind == "member_added"));
        assert!(plan.events() >= 200);
        assert_eq!(plan.events_by_kind["member_added"], plan.events());
        for d in &plan.deliveries {
            let hook: Value = serde_json::from_slice(&d.body).unwrap();
            for e in hook["events"].as_array().unwrap() {
                assert_eq!(e["name"], "member_added");
                assert!(e["user_id"].is_string());
                assert!(e["channel"].as_str().unwrap().starts_with("presence-"));
            }
        }
    }

    #[test]
    fn a_large_body_of_small_distinct_events_fits_a_mebibyte() {
        let keys = KeyRing::new([Token::new("k", "s")]);
        let plan = large(15_000, "r1a2b", 1_700_000_000_000, &keys, "k").unwrap();
        let [d] = plan.deliveries.as_slice() else {
            panic!("one body");
        };
        assert!(d.body.len() < 1 << 20, "{} bytes", d.body.len());
        assert!(keys.verify(Some("k"), Some(&d.signature), &d.body).is_ok());
        let hook: Value = serde_json::from_slice(&d.body).unwrap();
        assert_eq!(hook["events"].as_array().unwrap().len(), 15_000);
        let channels: HashSet<&str> = plan.planned.iter().map(|e| e.channel.as_str()).collect();
        assert_eq!(channels.len(), 15_000);
        assert_eq!(plan.events(), 15_000);
        assert!(plan.events_by_kind.values().all(|n| *n == 3_750));
    }
}
