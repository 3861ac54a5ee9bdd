//! Webhooks that the example apps' tests send to each app (feature `testing`).

use pwh_core::testing::{TestWebhook, TEST_TIME_MS};

/// Client events whose `data` is not the typing message the app reads, each as a browser or a
/// compatible server may send it: each must be answered 200, counted as unreadable, and run
/// nothing when sent again.
pub fn unreadable_client_events() -> Vec<(&'static str, TestWebhook)> {
    [
        (
            "a string of JSON of another shape",
            serde_json::json!("{\"typing\":true}"),
        ),
        (
            "a string of JSON that is an array",
            serde_json::json!("[\"hi\"]"),
        ),
        (
            "a string that is not JSON",
            serde_json::json!("Unencrypted"),
        ),
        ("an array", serde_json::json!(["hi"])),
        (
            "an object of another shape",
            serde_json::json!({"typing": true}),
        ),
        (
            "an object whose text is not a string",
            serde_json::json!({"text": 5}),
        ),
        ("null", serde_json::json!(null)),
    ]
    .into_iter()
    .map(|(what, data)| (what, client_event(data)))
    .collect()
}

/// A client event on `presence-lobby` whose `data` is `data`, as is.
pub fn client_event(data: serde_json::Value) -> TestWebhook {
    TestWebhook::new().event(serde_json::json!({
        "name": "client_event", "channel": "presence-lobby", "event": "client-typing",
        "data": data, "socket_id": "1.1", "user_id": "alice",
    }))
}

/// `alice` added at T, removed at T+3, then a retried addition of T+2 arriving last: she must
/// stay removed, and the late addition be counted as ignored.
pub fn member_added_after_a_newer_removal() -> [TestWebhook; 3] {
    let t = TEST_TIME_MS;
    [
        TestWebhook::new()
            .time_ms(t)
            .member_added("presence-lobby", "alice"),
        TestWebhook::new()
            .time_ms(t + 3)
            .member_removed("presence-lobby", "alice"),
        TestWebhook::new()
            .time_ms(t + 2)
            .member_added("presence-lobby", "alice"),
    ]
}
