//! `RedisLog` against the shared suite, and what it leaves in Redis.

use std::time::Duration;

use pwh_core::delivery::{Begin, DeliveryLog, Done, LeaseTerms, LeaseToken};
use pwh_redis::RedisLog;

use crate::common::{fresh_id, fresh_log, raw, require_redis};

const LONG: Duration = Duration::from_secs(30);

fn terms(lease_for: Duration, keep_for: Duration) -> LeaseTerms {
    LeaseTerms::new(lease_for, keep_for, Duration::from_secs(5))
}

fn lease(begin: Begin) -> LeaseToken {
    match begin {
        Begin::Run { lease, .. } => lease,
        other => panic!("expected a lease, got {other:?}"),
    }
}

#[tokio::test]
async fn keeps_every_promise_of_a_delivery_log() {
    let url = require_redis!();
    pwh_core::testing::check_delivery_log(&fresh_log(&url)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keeps_every_promise_on_a_multi_threaded_runtime_through_a_shared_reference() {
    let url = require_redis!();
    let log = std::sync::Arc::new(fresh_log(&url));
    pwh_core::testing::check_delivery_log(&log).await;
}

/// Every key under `prefix`: each one carries `tag` and has an expiry.
async fn keys_under(
    conn: &mut redis::aio::MultiplexedConnection,
    prefix: &str,
    tag: &str,
) -> Vec<String> {
    let mut keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}*"))
        .query_async(conn)
        .await
        .unwrap();
    keys.sort();
    for key in &keys {
        assert!(
            key.starts_with(&format!("{prefix}{tag}:")),
            "{key} is under the body's hash tag {tag}"
        );
        let ttl: i64 = redis::cmd("PTTL").arg(key).query_async(conn).await.unwrap();
        assert!(ttl > 0, "{key} has an expiry (PTTL {ttl})");
    }
    keys
}

async fn pttl(conn: &mut redis::aio::MultiplexedConnection, key: &str) -> i64 {
    redis::cmd("PTTL").arg(key).query_async(conn).await.unwrap()
}

#[tokio::test]
async fn every_key_of_a_body_shares_its_hash_tag_and_expires() {
    let url = require_redis!();
    let log = fresh_log(&url);
    let mut conn = raw(&url).await;
    let prefix = log.prefix().to_owned();
    let id = fresh_id();
    let tag = format!("{{{id}}}");
    let keys = log.keys(&id);
    assert_eq!(keys.lease, format!("{prefix}{tag}:lease"));
    assert_eq!(keys.left, format!("{prefix}{tag}:left"));
    assert_eq!(keys.scratch, format!("{prefix}{tag}:scratch"));
    assert_eq!(keys.meta, format!("{prefix}{tag}:meta"));

    // After begin: the lease and the meta key.
    let first = lease(log.begin(&id, terms(LONG, LONG)).await.unwrap());
    assert_eq!(
        keys_under(&mut conn, &prefix, &tag).await,
        [keys.lease.as_str(), keys.meta.as_str()]
    );
    assert!(pttl(&mut conn, &keys.lease).await <= 30_000);

    // After a release with pairs left: the meta key and the set of pairs left, expiring
    // together.
    let left = [(0, "app::a"), (2, "app::b")];
    log.finish(&id, first, Done::first(&left)).await.unwrap();
    assert_eq!(
        keys_under(&mut conn, &prefix, &tag).await,
        [keys.left.as_str(), keys.meta.as_str()]
    );
    // Meta read first: the set, given meta's remaining time in the same script, reads no
    // more (a millisecond of slack for a Redis that does not freeze time in scripts).
    let meta_ttl = pttl(&mut conn, &keys.meta).await;
    let left_ttl = pttl(&mut conn, &keys.left).await;
    assert!(
        left_ttl <= meta_ttl + 1,
        "left {left_ttl} ms, meta {meta_ttl} ms"
    );
    let mut members: Vec<String> = redis::cmd("SMEMBERS")
        .arg(&keys.left)
        .query_async(&mut conn)
        .await
        .unwrap();
    members.sort();
    assert_eq!(members, ["0:app::a", "2:app::b"]);

    // After completion: only the meta key, saying complete.
    let second = lease(log.begin(&id, terms(LONG, LONG)).await.unwrap());
    log.finish(&id, second, Done::retry(&left)).await.unwrap();
    assert_eq!(
        keys_under(&mut conn, &prefix, &tag).await,
        [keys.meta.as_str()]
    );
    let state: String = redis::cmd("HGET")
        .arg(&keys.meta)
        .arg("state")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(state, "1");
    assert_eq!(
        log.begin(&id, terms(LONG, LONG)).await.unwrap(),
        Begin::Complete
    );
}

#[tokio::test]
async fn finishing_a_forgotten_body_leaves_no_key_without_an_expiry() {
    let url = require_redis!();
    let log = fresh_log(&url);
    let mut conn = raw(&url).await;
    let prefix = log.prefix().to_owned();

    // The holder finishes after the body was forgotten (its lease outlived keep_for).
    let id = fresh_id();
    let tag = format!("{{{id}}}");
    let held = lease(
        log.begin(&id, terms(LONG, Duration::from_millis(100)))
            .await
            .unwrap(),
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        keys_under(&mut conn, &prefix, &tag).await,
        [log.keys(&id).lease]
    );
    for done in [Done::first(&[(0, "app::a")]), Done::retry(&[(0, "app::a")])] {
        log.finish(&id, held, done).await.unwrap();
        assert!(
            keys_under(&mut conn, &prefix, &tag).await.is_empty(),
            "nothing is written for a forgotten body"
        );
    }

    // A stale delivery finishes after the body and its lease were both forgotten.
    let id = fresh_id();
    let tag = format!("{{{id}}}");
    let stale = lease(
        log.begin(
            &id,
            terms(Duration::from_millis(100), Duration::from_millis(100)),
        )
        .await
        .unwrap(),
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let left = [(0, "app::a"), (1, "app::b")];
    log.finish(&id, stale, Done::first(&left)).await.unwrap();
    assert!(keys_under(&mut conn, &prefix, &tag).await.is_empty());
    assert!(
        matches!(log.begin(&id, terms(LONG, LONG)).await.unwrap(), Begin::Run { progress, .. } if progress.is_first()),
        "a forgotten body starts over"
    );
    keys_under(&mut conn, &prefix, &tag).await;
}

#[tokio::test]
async fn renewing_extends_only_the_lease() {
    let url = require_redis!();
    let log = fresh_log(&url);
    let mut conn = raw(&url).await;
    let id = fresh_id();
    let keys = log.keys(&id);
    let held = lease(
        log.begin(&id, terms(Duration::from_secs(2), Duration::from_secs(5)))
            .await
            .unwrap(),
    );
    let meta_before = pttl(&mut conn, &keys.meta).await;
    assert!(log
        .renew(&id, held, terms(Duration::from_secs(20), LONG))
        .await
        .unwrap());
    assert!(pttl(&mut conn, &keys.lease).await > 10_000);
    assert!(pttl(&mut conn, &keys.meta).await <= meta_before);
    let token: String = redis::cmd("GET")
        .arg(&keys.lease)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(token, held.0.to_string());
}

#[tokio::test]
async fn prefixes_keep_apps_apart() {
    let url = require_redis!();
    let (a, b) = (fresh_log(&url), fresh_log(&url));
    assert_ne!(a.prefix(), b.prefix());
    let id = fresh_id();
    let in_a = lease(a.begin(&id, terms(LONG, LONG)).await.unwrap());
    let in_b = lease(b.begin(&id, terms(LONG, LONG)).await.unwrap());
    a.finish(&id, in_a, Done::first(&[])).await.unwrap();
    assert_eq!(
        a.begin(&id, terms(LONG, LONG)).await.unwrap(),
        Begin::Complete
    );
    assert_eq!(
        b.begin(&id, terms(LONG, LONG)).await.unwrap(),
        Begin::Busy,
        "b's own lease, untouched by a"
    );
    b.finish(&id, in_b, Done::first(&[(0, "app::a")]))
        .await
        .unwrap();
    match b.begin(&id, terms(LONG, LONG)).await.unwrap() {
        Begin::Run { progress, .. } => {
            assert_eq!(progress.iter().collect::<Vec<_>>(), [(0, "app::a")]);
        }
        other => panic!("b does not see a's body: {other:?}"),
    }
}

#[tokio::test]
async fn members_it_did_not_write_are_ignored() {
    let url = require_redis!();
    let log = fresh_log(&url);
    let mut conn = raw(&url).await;
    let id = fresh_id();
    let keys = log.keys(&id);
    let held = lease(log.begin(&id, terms(LONG, LONG)).await.unwrap());
    log.finish(&id, held, Done::first(&[(3, "app::a")]))
        .await
        .unwrap();
    let _: i64 = redis::cmd("SADD")
        .arg(&keys.left)
        .arg("not-a-pair")
        .query_async(&mut conn)
        .await
        .unwrap();
    match log.begin(&id, terms(LONG, LONG)).await.unwrap() {
        Begin::Run { progress, .. } => {
            assert_eq!(progress.iter().collect::<Vec<_>>(), [(3, "app::a")]);
        }
        other => panic!("expected a lease, got {other:?}"),
    }
}

#[tokio::test]
async fn a_completed_body_costs_one_small_key() {
    let url = require_redis!();
    let log = RedisLog::open(&url).unwrap();
    let mut conn = raw(&url).await;
    let id = fresh_id();
    let held = lease(
        log.begin(&id, terms(LONG, Duration::from_secs(5)))
            .await
            .unwrap(),
    );
    log.finish(&id, held, Done::first(&[])).await.unwrap();
    let keys = log.keys(&id);
    let bytes: Option<i64> = redis::cmd("MEMORY")
        .arg("USAGE")
        .arg(&keys.meta)
        .query_async(&mut conn)
        .await
        .unwrap();
    let bytes = bytes.expect("the meta key exists");
    eprintln!(
        "a completed body: {} bytes (MEMORY USAGE of {})",
        bytes, keys.meta
    );
    assert!(bytes < 200, "{bytes} bytes");
    let exists: i64 = redis::cmd("EXISTS")
        .arg(&keys.lease)
        .arg(&keys.left)
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(exists, 0);
}

/// The scripts are called by their SHA1: after Redis forgot them (`SCRIPT FLUSH`, as a
/// restart does) each call still runs, once, sent whole after the `NOSCRIPT` answer.
#[tokio::test]
async fn each_step_runs_after_redis_forgot_the_scripts() {
    let url = require_redis!();
    let log = fresh_log(&url);
    let mut conn = raw(&url).await;
    let flush = || redis::cmd("SCRIPT").arg("FLUSH").to_owned();
    let id = fresh_id();
    let _: () = flush().query_async(&mut conn).await.unwrap();
    let first = lease(log.begin(&id, terms(LONG, LONG)).await.unwrap());
    let _: () = flush().query_async(&mut conn).await.unwrap();
    assert!(log.renew(&id, first, terms(LONG, LONG)).await.unwrap());
    let _: () = flush().query_async(&mut conn).await.unwrap();
    log.finish(&id, first, Done::first(&[])).await.unwrap();
    // Cached again by the calls above: no NOSCRIPT this time.
    assert_eq!(
        log.begin(&id, terms(LONG, LONG)).await.unwrap(),
        Begin::Complete
    );
}
