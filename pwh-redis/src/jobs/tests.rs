//! `RedisJobs`'s tests that need no Redis (those that do are in `tests/redis/jobs.rs`).

use super::*;
use pwh_core::delivery::{LeaseToken, StoreErrorKind};
use pwh_core::jobs::{JobEnd, JobId, JobStore};

#[test]
fn opening_checks_the_url_prefix_and_timeout_without_connecting() {
    let jobs = RedisJobs::open("redis://127.0.0.1:1/").unwrap();
    assert_eq!(jobs.prefix(), "pwh:");
    assert_eq!(jobs.timeout(), Duration::from_secs(1));
    assert_eq!(jobs.key_base(), "pwh:{pwh:jobs}:");
    assert_eq!(jobs.layout_key(), "pwh:{pwh:jobs}:layout");
    assert!(!jobs.consumer().is_empty());
    let err = RedisJobs::open("http://example.com").unwrap_err();
    assert!(matches!(err, OpenError::InvalidUrl(_)), "{err}");
    let builder = RedisJobs::builder("redis://127.0.0.1/");
    assert_eq!(
        builder.clone().prefix("a{b").build().unwrap_err(),
        OpenError::InvalidPrefix("a{b".into())
    );
    assert_eq!(
        builder.clone().timeout(Duration::ZERO).build().unwrap_err(),
        OpenError::ZeroTimeout
    );
    let jobs = builder.prefix("app:").consumer("web-1").build().unwrap();
    assert_eq!(jobs.key_base(), "app:{app:jobs}:");
    assert_eq!(jobs.consumer(), "web-1");
}

#[test]
fn debug_never_shows_the_password() {
    let url = "redis://user:hunter2@127.0.0.1:6380/3";
    let shown = format!("{:?}", RedisJobs::open(url).unwrap());
    assert!(shown.contains("127.0.0.1:6380"), "{shown}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(!format!("{:?}", RedisJobs::builder(url)).contains("hunter2"));
}

#[test]
fn outside_a_runtime_is_a_store_error_not_a_panic() {
    use futures_util::FutureExt;
    let jobs = RedisJobs::open("redis://127.0.0.1:1/").unwrap();
    let err = jobs
        .end(&JobId([1; 16]), LeaseToken(1), JobEnd::Done)
        .now_or_never()
        .expect("answers at once")
        .unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Failed, "{err}");
}

#[tokio::test]
async fn an_unreachable_redis_is_a_store_error() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let jobs = RedisJobs::open(&format!("redis://127.0.0.1:{port}/")).unwrap();
    let err = jobs.counts().await.unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Unreachable, "{err}");
    assert!(jobs.is_durable());
}

#[test]
fn a_layout_refusal_says_which_versions() {
    let said = store::layout_error("7");
    assert_eq!(said.kind(), StoreErrorKind::Failed);
    assert!(said.message().contains("version 7"), "{said}");
    assert!(said.message().contains("reads version 1"), "{said}");
}
