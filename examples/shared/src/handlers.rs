//! The app's Pusher event handlers. Each registers itself with `#[on_event]`.

use pwh_core::{on_event, ClientData, Shared, Webhook};
use serde::Deserialize;

use crate::App;

#[on_event("channel_occupied")]
fn occupied(channel: &str, hook: &Webhook<'_>, app: &Shared<App>) -> Result<(), String> {
    app.faults.check("occupied", channel, hook.time_ms())?;
    app.tracker.set_occupied(channel, true, hook.time_ms());
    Ok(())
}

#[on_event("channel_vacated")]
fn vacated(channel: &str, hook: &Webhook<'_>, app: &Shared<App>) -> Result<(), String> {
    app.faults.check("vacated", channel, hook.time_ms())?;
    app.tracker.set_occupied(channel, false, hook.time_ms());
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
    app.tracker.set_member(channel, user_id, true);
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
    app.tracker.set_member(channel, user_id, false);
    Ok(())
}

/// What the demo's clients send with `client-typing`; other client events may carry anything.
#[derive(Deserialize)]
struct Message {
    text: Option<String>,
}

#[on_event("client_event")]
async fn client_event(
    channel: &str,
    event: &str,
    user_id: Option<&str>,
    ClientData(message): ClientData<Message>,
    hook: &Webhook<'_>,
    app: &Shared<App>,
) -> Result<(), String> {
    app.faults.check("client_event", channel, hook.time_ms())?;
    app.tracker
        .client_event(channel, event, user_id, message.text);
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
    let known = pwh_core::KNOWN_KINDS
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
}
