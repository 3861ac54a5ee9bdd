//! `RedisLog` and `RedisJobs` on a real Redis Cluster (`PWH_TEST_REDIS_CLUSTER`): the shared
//! suites, where the keys land (each script's keys in one slot), and a webhook whose deferred
//! job runs end to end.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pwh_core::delivery::{DeliveryLog, LeaseTerms, StoreErrorKind};
use pwh_core::jobs::JobStore;
use pwh_core::testing::{Harness, TestWebhook};
use pwh_core::{handler, on_event};
use pwh_redis::{RedisJobs, RedisLog};

use crate::common::{closed_port, fresh_id, fresh_prefix, raw, require_cluster};

/// A log on the cluster under `prefix`, with a timeout generous enough for a loaded CI box.
fn log_on(nodes: &[String], prefix: &str) -> RedisLog {
    RedisLog::cluster_builder(nodes)
        .prefix(prefix)
        .timeout(Duration::from_secs(2))
        .build()
        .expect("the test nodes are Redis URLs")
}

/// A jobs store on the cluster under `prefix`.
fn jobs_on(nodes: &[String], prefix: &str) -> RedisJobs {
    RedisJobs::cluster_builder(nodes)
        .prefix(prefix)
        .timeout(Duration::from_secs(2))
        .build()
        .expect("the test nodes are Redis URLs")
}

/// Every key under `prefix` with its slot, per node given (each node lists its own keys).
async fn keys_by_node(nodes: &[String], prefix: &str) -> BTreeMap<String, Vec<(String, i64)>> {
    let mut all = BTreeMap::new();
    for node in nodes {
        let mut conn = raw(node).await;
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{prefix}*"))
            .query_async(&mut conn)
            .await
            .expect("KEYS");
        let mut with_slots = Vec::new();
        for key in keys {
            let slot: i64 = redis::cmd("CLUSTER")
                .arg("KEYSLOT")
                .arg(&key)
                .query_async(&mut conn)
                .await
                .expect("CLUSTER KEYSLOT");
            with_slots.push((key, slot));
        }
        all.insert(node.clone(), with_slots);
    }
    all
}

#[tokio::test]
async fn the_log_keeps_every_promise_of_a_delivery_log_on_a_cluster() {
    let nodes = require_cluster!();
    pwh_core::testing::check_delivery_log(&log_on(&nodes, &fresh_prefix())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_log_keeps_every_promise_on_a_multi_threaded_runtime_on_a_cluster() {
    let nodes = require_cluster!();
    let log = std::sync::Arc::new(log_on(&nodes, &fresh_prefix()));
    pwh_core::testing::check_delivery_log(&log).await;
}

#[tokio::test(flavor = "current_thread")]
async fn the_jobs_keep_every_promise_of_a_job_store_on_a_cluster() {
    let nodes = require_cluster!();
    let jobs = jobs_on(&nodes, &fresh_prefix());
    pwh_core::testing::check_job_store(&jobs).await;
    assert!(jobs.is_durable());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_jobs_keep_every_promise_on_a_multi_threaded_runtime_on_a_cluster() {
    let nodes = require_cluster!();
    pwh_core::testing::check_job_store(&jobs_on(&nodes, &fresh_prefix())).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_workers_run_a_job_longer_than_its_lease_once_on_a_cluster() {
    let nodes = require_cluster!();
    let prefix = fresh_prefix();
    pwh_core::testing::check_shared_jobs(|| jobs_on(&nodes, &prefix)).await;
}

#[tokio::test]
async fn each_body_stays_in_one_slot_and_the_bodies_spread_over_the_nodes() {
    let nodes = require_cluster!();
    let prefix = fresh_prefix();
    let log = log_on(&nodes, &prefix);
    let second = Duration::from_secs(60);
    for _ in 0..30 {
        log.begin(&fresh_id(), LeaseTerms::new(second, second, second))
            .await
            .expect("begin");
    }
    let by_node = keys_by_node(&nodes, &prefix).await;
    // Each body's keys (lease, meta) are on one node, in one slot.
    let mut slots_of_body: BTreeMap<String, BTreeSet<(String, i64)>> = BTreeMap::new();
    for (node, keys) in &by_node {
        for (key, slot) in keys {
            let tag = key.split_once('}').map_or(key.as_str(), |(tag, _)| tag);
            slots_of_body
                .entry(tag.to_owned())
                .or_default()
                .insert((node.clone(), *slot));
        }
    }
    assert_eq!(slots_of_body.len(), 30, "30 bodies: {slots_of_body:?}");
    for (body, slots) in &slots_of_body {
        assert_eq!(
            slots.len(),
            1,
            "{body} is in one slot of one node: {slots:?}"
        );
    }
    let used = by_node.values().filter(|keys| !keys.is_empty()).count();
    assert!(used >= 2, "30 bodies spread over the nodes: {by_node:?}");
}

#[tokio::test]
async fn the_whole_queue_stays_in_one_slot() {
    let nodes = require_cluster!();
    let prefix = fresh_prefix();
    let jobs = jobs_on(&nodes, &prefix);
    pwh_core::testing::check_job_store(&jobs).await;
    let by_node = keys_by_node(&nodes, &prefix).await;
    let slots: BTreeSet<(&String, i64)> = by_node
        .iter()
        .flat_map(|(node, keys)| keys.iter().map(move |(_, slot)| (node, *slot)))
        .collect();
    assert_eq!(slots.len(), 1, "one slot of one node: {by_node:?}");
    let keys = by_node.values().flatten().count();
    assert!(keys > 1, "the suite left keys to look at: {by_node:?}");
    for (key, _) in by_node.values().flatten() {
        assert!(key.starts_with(jobs.key_base()), "{key}");
    }
}

static WELCOMED: AtomicUsize = AtomicUsize::new(0);

#[on_event("member_added", deferred)]
async fn welcome_on_a_cluster(user_id: &str) {
    assert!(!user_id.is_empty());
    WELCOMED.fetch_add(1, Ordering::SeqCst);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deferred_job_runs_end_to_end_on_a_cluster() {
    let nodes = require_cluster!();
    let prefix = fresh_prefix();
    let harness = Harness::configure(|b| {
        b.registered_handlers(false)
            .handler(handler!(welcome_on_a_cluster))
            .delivery_log(log_on(&nodes, &prefix))
            .job_store(jobs_on(&nodes, &prefix))
    });
    let webhook = TestWebhook::new()
        .member_added("presence-room", "ada")
        .member_added("presence-room", "grace");
    let first = harness.deliver(webhook.clone()).await;
    first.assert_ok();
    assert!(first.deferred("welcome_on_a_cluster"));
    assert_eq!(harness.job_counts().await.pending, 2);
    // A replay runs nothing and records nothing more.
    let replay = harness.deliver(webhook).await;
    replay.assert_ok();
    assert!(replay.response().outcome().is_some_and(|o| o.is_replay()));
    assert_eq!(harness.jobs().await.len(), 2);

    assert_eq!(harness.run_due_jobs().await, 2);
    assert_eq!(WELCOMED.load(Ordering::SeqCst), 2);
    assert_eq!(harness.job_counts().await.done, 2);
    assert_eq!(
        harness.run_due_jobs().await,
        0,
        "done jobs do not run again"
    );
}

#[tokio::test]
async fn an_unreachable_cluster_is_a_store_error() {
    let nodes = [
        format!("127.0.0.1:{}", closed_port()),
        format!("127.0.0.1:{}", closed_port()),
    ];
    let log = RedisLog::open_cluster(pwh_redis::cluster_nodes(&nodes.join(","))).unwrap();
    let second = Duration::from_secs(1);
    let err = log
        .begin(&fresh_id(), LeaseTerms::new(second, second, second))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Unreachable, "{err}");
    let jobs = RedisJobs::open_cluster(pwh_redis::cluster_nodes(&nodes.join(","))).unwrap();
    let err = jobs.counts().await.unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Unreachable, "{err}");
    let shown = format!("{jobs:?}");
    assert!(shown.contains(&nodes[0]), "{shown}");
}
