//! `RedisLog`'s tests that need no Redis (those that do are in `tests/redis/`).

use super::*;

#[test]
fn a_bad_url_is_an_error_that_does_not_repeat_it() {
    for url in [
        "",
        "http://example.com",
        "redis://:secret@[::1",
        "not a url",
    ] {
        let err = RedisLog::open(url).unwrap_err();
        assert!(matches!(err, OpenError::InvalidUrl(_)), "{url}: {err}");
        assert!(!err.to_string().contains("secret"), "{err}");
    }
}

#[test]
fn opening_does_not_connect() {
    // Nothing listens on port 1; no runtime is needed either.
    let log = RedisLog::open("redis://127.0.0.1:1/").unwrap();
    assert_eq!(log.prefix(), "pwh:");
    assert_eq!(log.timeout(), Duration::from_millis(300));
}

#[test]
fn prefix_and_timeout_are_checked() {
    let builder = RedisLog::builder("redis://127.0.0.1/");
    assert_eq!(
        builder.clone().prefix("a{b}:").build().unwrap_err(),
        OpenError::InvalidPrefix("a{b}:".into())
    );
    assert_eq!(
        builder.clone().timeout(Duration::ZERO).build().unwrap_err(),
        OpenError::ZeroTimeout
    );
    let log = builder
        .prefix("app:")
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    assert_eq!(log.prefix(), "app:");
    assert_eq!(log.timeout(), Duration::from_secs(1));
}

#[test]
fn debug_never_shows_the_password() {
    let log = RedisLog::open("redis://user:hunter2@127.0.0.1:6380/3").unwrap();
    let shown = format!("{log:?}");
    assert!(shown.contains("127.0.0.1:6380"), "{shown}");
    assert!(!shown.contains("hunter2"), "{shown}");
    let builder = RedisLog::builder("redis://user:hunter2@127.0.0.1:6380/3");
    assert!(!format!("{builder:?}").contains("hunter2"));
}

#[test]
fn outside_a_runtime_is_a_store_error_not_a_panic() {
    use futures_util::FutureExt;
    let log = RedisLog::open("redis://127.0.0.1:1/").unwrap();
    let id = DeliveryId([7; 16]);
    let err = log
        .finish(&id, LeaseToken(1), Done::first(&[]))
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
    let log = RedisLog::open(&format!("redis://127.0.0.1:{port}/")).unwrap();
    let id = DeliveryId([7; 16]);
    let second = Duration::from_secs(1);
    let err = log
        .begin(&id, LeaseTerms::new(second, second, second))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::Unreachable, "{err}");
}
