//! Redis down, down at start-up and back later, or too slow: the dispatcher fails closed
//! (503, no handler runs) unless told to fail open.

use std::time::{Duration, Instant};

use pwh_core::delivery::StoreErrorKind;
use pwh_core::jobs::JobStore;
use pwh_core::testing::{Delivery, TestWebhook};
use pwh_redis::{RedisJobs, RedisLog};

use crate::common::{closed_port, OwnServer};
use pwh_core::testing::Counted;

fn store_error(delivery: &Delivery) -> Option<StoreErrorKind> {
    delivery
        .response()
        .outcome()
        .and_then(|o| o.store_error())
        .map(|e| e.kind())
}

fn harness(log: RedisLog, handler: &Counted, fail_open: bool) -> pwh_core::testing::Harness {
    let handler = handler.clone();
    pwh_core::testing::Harness::configure(move |b| {
        b.registered_handlers(false)
            .handler(handler)
            .delivery_log(log)
            .fail_open(fail_open)
    })
}

#[tokio::test]
async fn redis_unreachable_answers_503_and_runs_nothing() {
    // Opening does not connect: an app starts while Redis is down.
    let log = RedisLog::open(&format!("redis://127.0.0.1:{}/", closed_port())).unwrap();
    let handler = Counted::new("app::h");
    let harness = harness(log, &handler, false);
    for _ in 0..2 {
        let delivery = harness
            .deliver(TestWebhook::new().channel_vacated("news"))
            .await;
        assert_eq!(delivery.status(), 503);
        assert_eq!(store_error(&delivery), Some(StoreErrorKind::Unreachable));
        assert!(delivery.runs().is_empty());
    }
    assert_eq!(handler.calls(), 0);
}

#[tokio::test]
async fn redis_unreachable_with_fail_open_runs_the_handlers_every_time() {
    let log = RedisLog::open(&format!("redis://127.0.0.1:{}/", closed_port())).unwrap();
    let handler = Counted::new("app::h");
    let harness = harness(log, &handler, true);
    let hook = TestWebhook::new().channel_vacated("news");
    for _ in 0..2 {
        let delivery = harness.deliver(hook.clone()).await;
        delivery.assert_ok();
        assert!(delivery.ran("app::h"));
    }
    assert_eq!(
        handler.calls(),
        2,
        "without the memory, a replay runs again"
    );
}

#[tokio::test]
async fn redis_down_at_start_up_then_back_serves_again() {
    let port = closed_port();
    let log = RedisLog::open(&format!("redis://127.0.0.1:{port}/")).unwrap();
    let handler = Counted::new("app::h");
    let harness = harness(log, &handler, false);
    let hook = TestWebhook::new().channel_occupied("news");
    assert_eq!(harness.deliver(hook.clone()).await.status(), 503);

    let Some(_server) = OwnServer::start(port) else {
        return;
    };
    let until = Instant::now() + Duration::from_secs(10);
    let delivered = loop {
        let delivery = harness.deliver(hook.clone()).await;
        if delivery.status() != 503 {
            break delivery;
        }
        assert!(Instant::now() < until, "still 503 10 s after Redis started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    delivered.assert_ok();
    assert!(delivered.ran("app::h"));
    let replay = harness.deliver(hook).await;
    replay.assert_ok();
    assert!(replay.runs().is_empty(), "remembered in Redis now");
    assert_eq!(handler.calls(), 1);
}

/// A redis-server of the test's own on `port`, once it answers.
async fn started(port: u16) -> Option<OwnServer> {
    let server = OwnServer::start(port)?;
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap();
    for _ in 0..100 {
        if let Ok(mut conn) = client.get_multiplexed_async_connection().await {
            let pong: Result<String, _> = redis::cmd("PING").query_async(&mut conn).await;
            if pong.is_ok() {
                return Some(server);
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("redis-server on port {port} did not answer within 5 s");
}

/// Redis restarted (killed, and started again on its port) while the stores' connections were
/// idle: the first calls after it are served. The connection manager learns that Redis closed
/// the connection only when a call fails on it; each store then tries once more, on the
/// connection made again, rather than answering that webhook 503 with Redis back.
#[tokio::test]
async fn the_first_calls_after_a_restart_of_redis_are_served() {
    let port = closed_port();
    let url = format!("redis://127.0.0.1:{port}/");
    let Some(server) = started(port).await else {
        return;
    };
    let second = Duration::from_secs(2);
    let log = RedisLog::builder(&url).timeout(second).build().unwrap();
    let jobs = RedisJobs::builder(&url).timeout(second).build().unwrap();
    let handler = Counted::new("app::h");
    let harness = harness(log, &handler, false);
    harness
        .deliver(TestWebhook::new().channel_occupied("news"))
        .await
        .assert_ok();
    jobs.counts().await.expect("counts");

    drop(server);
    let Some(_server) = started(port).await else {
        return;
    };
    let delivery = harness
        .deliver(TestWebhook::new().channel_occupied("sports"))
        .await;
    assert_eq!(delivery.status(), 200, "{:?}", store_error(&delivery));
    assert!(delivery.ran("app::h"));
    jobs.counts()
        .await
        .expect("the jobs' first call after the restart");
    assert_eq!(handler.calls(), 2);
}

#[tokio::test]
async fn a_redis_that_never_answers_is_503_within_the_timeout() {
    // Accepts connections, reads nothing, answers nothing.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let silent = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    let log = RedisLog::open(&format!("redis://127.0.0.1:{port}/")).unwrap();
    let timeout = log.timeout();
    let handler = Counted::new("app::h");
    let harness = harness(log, &handler, false);
    for n in 0..2 {
        let started = Instant::now();
        let delivery = harness
            .deliver(TestWebhook::new().channel_vacated(&format!("c{n}")))
            .await;
        let elapsed = started.elapsed();
        assert_eq!(delivery.status(), 503);
        assert_eq!(store_error(&delivery), Some(StoreErrorKind::TimedOut));
        assert!(
            elapsed < timeout + Duration::from_millis(700),
            "answered after {elapsed:?} (timeout {timeout:?})"
        );
    }
    assert_eq!(handler.calls(), 0);
    silent.abort();
}
