//! The app's Pusher event handlers. Each registers itself with `#[on_event]`, except the
//! deferred `welcome_member` ([`WelcomeMember`]), whose retry policy comes from the
//! configuration: `App::dispatcher` adds it.

mod welcome;

pub use welcome::WelcomeMember;

use pwh_core::handler::ExtractError;
use pwh_core::{on_event, ClientData, Shared, Webhook};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::App;

#[on_event("channel_occupied")]
fn occupied(channel: &str, hook: &Webhook<'_>, app: &Shared<App>) -> Result<(), String> {
    app.faults.check("occupied", channel, hook.time_ms())?;
    app.tracker.set_occupied(channel, true, hook);
    Ok(())
}

#[on_event("channel_vacated")]
fn vacated(channel: &str, hook: &Webhook<'_>, app: &Shared<App>) -> Result<(), String> {
    app.faults.check("vacated", channel, hook.time_ms())?;
    app.tracker.set_occupied(channel, false, hook);
    Ok(())
}

#[on_event("member_added")]
fn member_added(
    channel: &str,
    user_id: &str,
    hook: &Webhook<'_>,
    app: &Shared<App>,
) -> Result<(), String> {
    app.faults.check("member_added", channel, hook.time_ms())?;
    app.tracker.set_member(channel, user_id, true, hook);
    Ok(())
}

#[on_event("member_removed")]
fn member_removed(
    channel: &str,
    user_id: &str,
    hook: &Webhook<'_>,
    app: &Shared<App>,
) -> Result<(), String> {
    app.faults
        .check("member_removed", channel, hook.time_ms())?;
    app.tracker.set_member(channel, user_id, false, hook);
    Ok(())
}

/// What the demo's clients send with `client-typing`: a JSON object with a string `text`
/// (other fields are ignored).
///
/// Read from an object only: serde's derive would also read `["hi"]` as `{"text": "hi"}`.
#[derive(Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "Map<String, Value>")]
struct Typing {
    text: String,
}

impl TryFrom<Map<String, Value>> for Typing {
    type Error = &'static str;

    fn try_from(mut object: Map<String, Value>) -> Result<Self, Self::Error> {
        match object.remove("text") {
            Some(Value::String(text)) => Ok(Self { text }),
            Some(_) => Err("`text` is not a string"),
            None => Err("no `text` field"),
        }
    }
}

/// A client event's `data` is whatever the browser sent: usually a string of JSON text, but
/// any JSON, or text that is not JSON. The handler decides what data it cannot read means:
/// no retry would change it, so it is counted (`client_events_unreadable`), its reason logged
/// (never the data) and the webhook answered 200, remembered as done.
#[on_event("client_event")]
async fn client_event(
    channel: &str,
    event: &str,
    user_id: Option<&str>,
    data: Result<ClientData<Typing>, ExtractError>,
    hook: &Webhook<'_>,
    app: &Shared<App>,
) -> Result<(), String> {
    app.faults.check("client_event", channel, hook.time_ms())?;
    let text = match data {
        Ok(ClientData(Typing { text })) => Some(text),
        Err(reason) => {
            tracing::warn!(
                channel,
                event,
                %reason,
                "client event data is not a typing message: counted as unreadable, not retried"
            );
            None
        }
    };
    app.tracker.client_event(channel, event, user_id, text);
    Ok(())
}

#[on_event("cache_miss")]
fn cache_miss(channel: &str, hook: &Webhook<'_>, app: &Shared<App>) -> Result<(), String> {
    app.faults.check("cache_miss", channel, hook.time_ms())?;
    app.tracker.cache_miss(channel);
    Ok(())
}

#[on_event("subscription_count")]
fn subscription_count(
    channel: &str,
    subscription_count: u64,
    hook: &Webhook<'_>,
    app: &Shared<App>,
) -> Result<(), String> {
    app.faults
        .check("subscription_count", channel, hook.time_ms())?;
    app.tracker.subscription_count(channel, subscription_count);
    Ok(())
}

/// Kinds this app has no handler for still reach catch-all handlers such as this one.
#[on_event(any)]
fn unknown_kinds(event: &pwh_core::Event<'_>, app: &Shared<App>) {
    let known = pwh_core::handler::KNOWN_KINDS
        .iter()
        .any(|(kind, _)| *kind == event.name());
    if !known {
        app.tracker
            .unknown(event.name(), event.str("channel").unwrap_or("-"));
    }
}

#[cfg(test)]
mod tests {
    use pwh_core::testing::{Harness, TestWebhook};
    use serde_json::json;

    use crate::App;

    #[tokio::test]
    async fn every_kind_updates_the_tracker() {
        let app = App::default();
        let harness = Harness::configure(|b| b.state(app.clone()));
        harness
            .deliver(
                TestWebhook::new()
                    .channel_occupied("news")
                    .member_added("presence-lobby", "alice")
                    .client_event(
                        "presence-lobby",
                        "client-typing",
                        json!({"text": "hi"}),
                        "1.1",
                        Some("alice"),
                    )
                    .subscription_count("news", 3)
                    .cache_miss("cache-prices")
                    .member_removed("presence-lobby", "alice")
                    .event(json!({"name": "member_updated", "channel": "presence-lobby"})),
            )
            .await
            .assert_ok();
        let snapshot = app.tracker.snapshot();
        assert!(snapshot.occupied.contains("news"));
        assert!(snapshot.members.is_empty());
        assert_eq!(snapshot.subscriptions["news"], 3);
        assert_eq!(snapshot.cache_misses["cache-prices"], 1);
        assert_eq!(
            snapshot.last_client_event.unwrap().text.as_deref(),
            Some("hi")
        );
        assert_eq!(snapshot.handled_total, 7);
        assert_eq!(snapshot.handled["member_updated"], 1);
    }

    #[tokio::test]
    async fn client_data_of_any_shape_is_handled_once_and_counted() {
        let app = App::default();
        let harness = Harness::configure(|b| b.state(app.clone()));
        for (n, (what, hook)) in crate::cases::unreadable_client_events()
            .into_iter()
            .enumerate()
        {
            let delivery = harness.deliver(hook.clone()).await;
            assert_eq!(delivery.status(), 200, "{what}");
            assert!(delivery.ran("client_event"), "{what}");
            let counted = app.tracker.snapshot();
            assert_eq!(counted.client_events_unreadable, n as u64 + 1, "{what}");
            let again = harness.deliver(hook).await;
            assert_eq!(again.status(), 200, "{what}");
            assert!(
                again.events_of("client_event").is_empty(),
                "{what}: ran again"
            );
            assert_eq!(app.tracker.snapshot(), counted, "{what}");
        }
        // The typing message, as Pusher sends it (a string) and as an object.
        for data in [json!("{\"text\":\"hi\"}"), json!({"text": "hi", "at": 1})] {
            harness
                .deliver(crate::cases::client_event(data))
                .await
                .assert_ok();
            let snapshot = app.tracker.snapshot();
            assert_eq!(
                snapshot.last_client_event.unwrap().text.as_deref(),
                Some("hi")
            );
            assert_eq!(snapshot.client_events_unreadable, 7);
        }
    }

    #[tokio::test]
    async fn a_retried_member_added_does_not_bring_back_a_removed_member() {
        let app = App::default();
        let harness = Harness::configure(|b| b.state(app.clone()));
        for hook in crate::cases::member_added_after_a_newer_removal() {
            harness.deliver(hook).await.assert_ok();
        }
        let snapshot = app.tracker.snapshot();
        assert!(snapshot.members.is_empty(), "{:?}", snapshot.members);
        assert_eq!(snapshot.ignored_late, 1);
    }
}
