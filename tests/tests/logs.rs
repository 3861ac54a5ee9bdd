//! What an operator reads: one `info` line per handled webhook inside its span (key, time_ms,
//! events), replays at `debug`, rejections at `warn` with the key, failures naming handler and
//! event; and a missing `Shared<T>` reported when the dispatcher is built.

use std::io::Write;
use std::sync::{Arc, Mutex};

use pwh_core::dispatcher::BuildError;
use pwh_core::testing::{Harness, TestWebhook, TEST_KEY};
use pwh_core::{handler, on_event, Dispatcher, KeyRing, Shared, Token};

/// Log output captured in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn lines(&self) -> Vec<String> {
        String::from_utf8(self.0.lock().unwrap().clone())
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

#[on_event("channel_occupied")]
fn occupied(channel: &str) -> Result<(), String> {
    if channel == "broken" {
        return Err("the feed store is down".into());
    }
    Ok(())
}

/// Runs `deliveries` with an `info` subscriber writing to memory; returns its lines.
fn logged(deliveries: impl AsyncFnOnce(&Harness)) -> Vec<String> {
    logged_while(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let harness =
                Harness::configure(|b| b.registered_handlers(false).handler(handler!(occupied)));
            deliveries(&harness).await;
        });
    })
}

#[test]
fn one_info_line_per_webhook_inside_its_span_and_replays_below_info() {
    let hook = TestWebhook::new().channel_occupied("news");
    let lines = logged(async |harness| {
        harness.deliver(hook.clone()).await.assert_ok();
        harness.deliver(hook.clone()).await.assert_ok();
    });
    let handled: Vec<_> = lines
        .iter()
        .filter(|l| l.contains("handled Pusher webhook"))
        .collect();
    assert_eq!(handled.len(), 1, "{lines:#?}");
    let line = handled[0];
    assert!(line.starts_with(" INFO pusher_webhook{"), "{line}");
    for field in [
        &format!("key=\"{TEST_KEY}\""),
        "time_ms=",
        "events=1",
        "status=200",
        "ran=1",
        "skipped=0",
        "elapsed_ms=",
    ] {
        assert!(line.contains(field), "{field} missing: {line}");
    }
    assert!(
        !lines.iter().any(|l| l.contains("already handled")),
        "replays are at debug: {lines:#?}"
    );
}

#[test]
fn rejections_name_the_key_and_failures_their_handler_once() {
    let lines = logged(async |harness| {
        let forged = TestWebhook::new()
            .channel_occupied("news")
            .signed()
            .with_signature(&"0".repeat(64));
        assert_eq!(harness.deliver_signed(&forged).await.status(), 401);
        assert_eq!(
            harness
                .deliver(TestWebhook::new().channel_occupied("broken"))
                .await
                .status(),
            500
        );
    });
    let rejected = lines
        .iter()
        .find(|l| l.contains("rejected Pusher webhook"))
        .unwrap();
    assert!(rejected.starts_with(" WARN "), "{rejected}");
    assert!(
        rejected.contains("status=401") && rejected.contains(&format!("key=\"{TEST_KEY}\"")),
        "{rejected}"
    );
    let failed = lines.iter().find(|l| l.contains("handler failed")).unwrap();
    assert!(
        failed.contains("pusher_webhook{"),
        "inside the webhook's span: {failed}"
    );
    assert!(
        failed.contains("handler=\"logs::occupied\"") && failed.contains("event=0"),
        "{failed}"
    );
    assert_eq!(
        failed.matches("key=").count(),
        1,
        "the key only once, from the span: {failed}"
    );
    assert!(
        lines.iter().any(|l| l.contains("answering 500")),
        "{lines:#?}"
    );
}

#[derive(Clone)]
struct Feeds;

#[on_event("channel_vacated")]
fn needs_feeds(_channel: &str, _feeds: &Shared<Feeds>) {}

#[test]
fn a_missing_shared_state_is_reported_when_the_dispatcher_is_built() {
    let builder = || {
        Dispatcher::builder(KeyRing::new([Token::new("k", "s")]))
            .registered_handlers(false)
            .handler(handler!(needs_feeds))
    };
    let Err(BuildError::MissingState(missing)) = builder().try_build() else {
        panic!("built without the state its handler needs");
    };
    assert_eq!(missing.len(), 1);
    assert_eq!(missing[0].0, "logs::needs_feeds");
    assert!(missing[0].1.ends_with("Feeds"), "{missing:?}");
    assert!(builder().state(Feeds).try_build().is_ok());
}

/// The lines written while `build` runs, at `info` and above.
fn logged_while(build: impl FnOnce()) -> Vec<String> {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .without_time()
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::with_default(subscriber, build);
    captured.lines()
}

#[test]
fn start_up_names_the_store_and_the_handlers_by_kind_and_warns_when_there_are_none() {
    let lines = logged_while(|| {
        Dispatcher::builder(KeyRing::new([Token::new("k", "s")]))
            .registered_handlers(false)
            .handler(handler!(occupied))
            .handler(handler!(needs_feeds))
            .state(Feeds)
            .build();
    });
    let ready = lines
        .iter()
        .find(|l| l.contains("dispatcher ready"))
        .unwrap_or_else(|| panic!("{lines:#?}"));
    assert!(ready.starts_with(" INFO "), "{ready}");
    for field in [
        "store=\"MemoryLog\"",
        "handlers=2",
        "by_kind=channel_occupied: 1, channel_vacated: 1",
    ] {
        assert!(ready.contains(field), "{field} missing: {ready}");
    }

    let lines = logged_while(|| {
        Dispatcher::builder(KeyRing::new([Token::new("k", "s")]))
            .registered_handlers(false)
            .build();
    });
    let none = lines
        .iter()
        .find(|l| l.contains("no Pusher webhook handler is registered"))
        .unwrap_or_else(|| panic!("{lines:#?}"));
    assert!(none.starts_with(" WARN "), "{none}");
    assert!(none.contains("use my_handlers as _;"), "{none}");
}
