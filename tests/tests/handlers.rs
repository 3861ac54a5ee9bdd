//! `#[on_event]` handlers with every parameter form, on each of the 7 kinds, through the harness.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use pwh_core::adapter::RunResult;
use pwh_core::handler::RawValue;
use pwh_core::testing::{Harness, TestWebhook, TEST_TIME_MS};
use pwh_core::{
    handler, on_event, ClientData, Event, EventContext, FromEvent, PusherEvent, Shared, Webhook,
};
use serde::Deserialize;
use serde_json::json;

/// What the handlers saw, as text lines.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<String>>>);

impl Log {
    fn push(&self, line: String) {
        self.0.lock().unwrap().push(line);
    }
    fn lines(&self) -> Vec<String> {
        self.0.lock().unwrap().clone()
    }
}

/// Shared destructured in the parameter pattern.
#[derive(Clone)]
struct Prefix(&'static str);

#[on_event("channel_occupied")]
async fn occupied(channel: &str, hook: &Webhook<'_>, Shared(log): Shared<Log>) {
    log.push(format!(
        "occupied {channel} at {} age {:?}",
        hook.time_ms(),
        hook.age_ms()
    ));
}

#[on_event("channel_vacated")]
fn vacated(
    channel: String,
    name: &str,
    Shared(log): Shared<Log>,
    Shared(Prefix(p)): Shared<Prefix>,
) {
    log.push(format!("{p}{name} {channel}"));
}

#[on_event("member_added")]
async fn added(
    channel: &str,
    user_id: &str,
    Shared(log): Shared<Log>,
) -> Result<(), std::io::Error> {
    log.push(format!("added {user_id} to {channel}"));
    Ok(())
}

/// A typed payload derived from the event by field name.
#[derive(FromEvent)]
struct Member<'a> {
    channel: &'a str,
    #[pwh(rename = "user_id")]
    user: String,
    region: Option<&'a str>,
    weight: Option<u64>,
}

#[on_event("member_removed")]
async fn removed(member: Member<'_>, Shared(log): Shared<Log>) {
    log.push(format!(
        "removed {} from {} ({:?}, {:?})",
        member.user, member.channel, member.region, member.weight
    ));
}

#[derive(Deserialize)]
struct Typing {
    text: String,
}

#[on_event("client_event")]
async fn typing(
    channel: &str,
    event: &str,
    ClientData(typing): ClientData<Typing>,
    data: &RawValue,
    socket_id: Option<&str>,
    user_id: Option<&str>,
    Shared(log): Shared<Log>,
) {
    let raw = if data.get().starts_with('"') {
        "text"
    } else {
        "object"
    };
    log.push(format!(
        "{event} on {channel}: {} ({raw}) from {socket_id:?} {user_id:?}",
        typing.text
    ));
}

#[on_event("cache_miss")]
async fn cache(event: &Event<'_>, cx: EventContext<'_>, Shared(log): Shared<Log>) {
    let extra = event
        .get::<serde_json::Value>("ttl")
        .map(|ttl| ttl.expect("ttl is JSON"));
    log.push(format!(
        "miss {} #{} extra {extra:?}",
        event.str("channel").unwrap_or("-"),
        cx.index()
    ));
}

#[on_event("subscription_count")]
async fn count(channel: &str, subscription_count: u32, log: &Shared<Log>) {
    log.push(format!("{channel} has {subscription_count}"));
}

#[on_event(any)]
async fn typed(kind: PusherEvent<'_>, Shared(log): Shared<Log>) {
    log.push(format!("typed {} {:?}", kind.name(), kind.channel()));
}

fn harness(log: &Log) -> Harness {
    let log = log.clone();
    Harness::configure(move |b| {
        b.registered_handlers(false)
            .handler(handler!(occupied))
            .handler(handler!(vacated))
            .handler(handler!(added))
            .handler(handler!(removed))
            .handler(handler!(typing))
            .handler(handler!(cache))
            .handler(handler!(count))
            .handler(handler!(typed))
            .state(log)
            .state(Prefix("-> "))
    })
}

#[tokio::test]
async fn each_kind_reaches_its_handler_with_every_parameter_form() {
    let log = Log::default();
    let harness = harness(&log);
    let delivery = harness
        .deliver(
            TestWebhook::new()
                .channel_occupied("room")
                .channel_vacated("room")
                .member_added("presence-room", "42")
                .event(json!({"name": "member_removed", "channel": "presence-room", "user_id": "42", "region": "eu"}))
                .client_event("presence-room", "client-typing", json!({"text": "hi"}), "1.2", Some("42"))
                .event(json!({"name": "client_event", "channel": "private-x", "event": "client-typing", "data": {"text": "obj"}, "socket_id": "3.4"}))
                .event(json!({"name": "cache_miss", "channel": "cache-prices", "ttl": 30}))
                .subscription_count("feed", 17)
                .event(json!({"name": "subscription_count", "channel": "feed", "subscription_count": "18"})),
        )
        .await;
    delivery.assert_ok();
    let lines = log.lines();
    let expected = [
        format!("occupied room at {TEST_TIME_MS} age Some(1000)"),
        "-> channel_vacated room".to_owned(),
        "added 42 to presence-room".to_owned(),
        "removed 42 from presence-room (Some(\"eu\"), None)".to_owned(),
        "client-typing on presence-room: hi (text) from Some(\"1.2\") Some(\"42\")".to_owned(),
        "client-typing on private-x: obj (object) from Some(\"3.4\") None".to_owned(),
        "miss cache-prices #6 extra Some(Number(30))".to_owned(),
        "feed has 17".to_owned(),
        "feed has 18".to_owned(),
    ];
    for line in &expected {
        assert!(lines.contains(line), "missing {line:?} in {lines:#?}");
    }
    let typed: Vec<_> = lines.iter().filter(|l| l.starts_with("typed ")).collect();
    assert_eq!(typed.len(), 9, "{typed:?}");
    assert_eq!(typed[2], "typed member_added Some(\"presence-room\")");
    assert_eq!(lines.len(), expected.len() + 9);
}

#[tokio::test]
async fn a_missing_field_fails_the_handler_with_a_clear_message_for_good() {
    let log = Log::default();
    let harness = harness(&log);
    let hook =
        TestWebhook::new().event(json!({"name": "member_added", "channel": "presence-room"}));
    let delivery = harness.deliver(hook.clone()).await;
    // No retry can add the field: 200, not a 5-minute retry loop.
    assert_eq!(delivery.status(), 200);
    assert!(matches!(
        delivery.runs_of("added").next().unwrap().result(),
        RunResult::Unprocessable(_)
    ));
    assert_eq!(
        delivery.failure("added").as_deref(),
        Some("event has no `user_id` field")
    );
    assert_eq!(
        delivery.failure("typed").as_deref(),
        Some("event has no `user_id` field")
    );
    let again = harness.deliver(hook).await;
    assert!(
        again.runs().is_empty(),
        "remembered as done: {:?}",
        again.runs()
    );
}

#[tokio::test]
async fn a_bad_client_payload_fails_only_that_handler() {
    let log = Log::default();
    let harness = harness(&log);
    let delivery = harness
        .deliver(TestWebhook::new().client_event(
            "private-a",
            "client-typing",
            json!({"nope": 1}),
            "1.1",
            None,
        ))
        .await;
    assert_eq!(
        delivery.status(),
        200,
        "data of another shape is not retried"
    );
    let failure = delivery.failure("typing").unwrap();
    assert!(
        failure.contains("`data`") && failure.contains("missing field `text`"),
        "{failure}"
    );
    assert!(delivery.ran("typed"));
}

#[tokio::test]
async fn client_data_given_as_json_text_is_sent_once_and_read() {
    let log = Log::default();
    let harness = harness(&log);
    let delivery = harness
        .deliver(TestWebhook::new().client_event(
            "private-a",
            "client-typing",
            r#"{"text":"hi"}"#,
            "1.1",
            None,
        ))
        .await;
    delivery.assert_ok();
    assert!(delivery.ran("typing"), "{:?}", delivery.failure("typing"));
    assert_eq!(
        log.lines()[0],
        "client-typing on private-a: hi (text) from Some(\"1.1\") None"
    );
}

#[test]
fn handlers_stay_plain_functions() {
    // The macro emits the function unchanged, so it can be called directly.
    vacated(
        "c".into(),
        "channel_vacated",
        Shared(Log::default()),
        Shared(Prefix("")),
    );
}

#[on_event(custom = "never_sent")]
fn plain_never_sent() {}

#[on_event(custom = "never_sent")]
async fn async_never_sent() {
    tokio::task::yield_now().await;
}

#[on_event(custom = "never_sent")]
async fn async_without_await_never_sent(channel: Option<&str>) {
    let _ = channel;
}

/// What `call_now` gave for each `#[on_event]` handler: `Some(ok)` when it ran at once.
type Answers = (Option<bool>, Option<bool>, Option<bool>);

/// Asks, from inside a delivery, whether each `#[on_event]` handler answers at once.
struct Probe(Arc<Mutex<Vec<Answers>>>);

#[pwh_core::handler::async_trait]
impl pwh_core::handler::EventHandler for Probe {
    fn info(&self) -> pwh_core::handler::HandlerInfo {
        pwh_core::handler::HandlerInfo::new("probe", pwh_core::handler::EventRoute::Any)
    }

    async fn call(&self, cx: &EventContext<'_>) -> Result<(), pwh_core::HandlerError> {
        let now = |handler: &dyn pwh_core::handler::EventHandler| {
            handler.call_now(cx).map(|result| result.is_ok())
        };
        let answers = (
            now(&handler!(plain_never_sent)),
            now(&handler!(async_never_sent)),
            now(&handler!(async_without_await_never_sent)),
        );
        self.0.lock().unwrap().push(answers);
        Ok(())
    }
}

#[tokio::test]
async fn a_plain_fn_is_called_at_once_an_async_fn_always_through_its_future() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let probe = Probe(Arc::clone(&seen));
    Harness::configure(move |b| b.registered_handlers(false).handler(probe))
        .deliver(TestWebhook::new().channel_occupied("c"))
        .await
        .assert_ok();
    // An `async fn` runs as a future even when its body has no `.await`.
    assert_eq!(*seen.lock().unwrap(), [(Some(true), None, None)]);
}

/// The user's own `info!`, sharing a name with `tracing`'s, that waits.
macro_rules! info {
    ($($message:tt)*) => {
        tokio::task::yield_now().await
    };
}

static WAITS_IN_ITS_OWN_MACRO: AtomicUsize = AtomicUsize::new(0);

#[on_event("channel_occupied")]
async fn waits_in_its_own_macro(channel: &str) {
    let _ = channel;
    info!("occupied");
    WAITS_IN_ITS_OWN_MACRO.fetch_add(1, Ordering::SeqCst);
}

#[tokio::test]
async fn an_async_fn_whose_own_macro_waits_runs_as_a_future() {
    let delivery = Harness::configure(|b| {
        b.registered_handlers(false)
            .handler(handler!(waits_in_its_own_macro))
    })
    .deliver(TestWebhook::new().channel_occupied("c"))
    .await;
    assert_eq!(delivery.status(), 200, "{:?}", delivery.runs());
    delivery.assert_ok();
    assert!(delivery.ran("waits_in_its_own_macro"));
    assert_eq!(WAITS_IN_ITS_OWN_MACRO.load(Ordering::SeqCst), 1);
}
