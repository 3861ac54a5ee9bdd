//! `#[on_event]` handlers register themselves; the registry lists them in a stable order and a
//! default dispatcher runs them.

use pwh_core::handler::{registered_handlers, EventRoute};
use pwh_core::on_event;
use pwh_core::testing::{Harness, TestWebhook};

const ZEBRA_LINE: u32 = line!() + 1;
#[on_event("member_added")]
async fn zebra(_user_id: &str) {}

#[on_event(any)]
async fn alpha() {}

#[on_event(custom = "member_updated")]
fn middle(_channel: Option<&str>) {}

#[test]
fn the_registry_lists_every_handler_sorted_with_route_and_location() {
    let handlers = registered_handlers();
    let listed: Vec<(String, EventRoute)> = handlers
        .iter()
        .map(|h| (h.name().to_owned(), h.route().clone()))
        .collect();
    assert_eq!(
        listed,
        [
            ("registry::alpha".to_owned(), EventRoute::Any),
            (
                "registry::middle".to_owned(),
                EventRoute::kind("member_updated")
            ),
            (
                "registry::zebra".to_owned(),
                EventRoute::kind("member_added")
            ),
        ]
    );
    let (file, line) = handlers[2].location().unwrap();
    assert!(file.ends_with("registry.rs"), "{file}");
    assert_eq!(line, ZEBRA_LINE);
    assert_eq!(
        handlers[2].to_string(),
        format!("registry::zebra on member_added ({file}:{ZEBRA_LINE})")
    );
    assert_eq!(registered_handlers(), handlers, "the order is stable");
}

#[tokio::test]
async fn a_default_dispatcher_runs_the_registered_handlers() {
    let delivery = Harness::new()
        .deliver(
            TestWebhook::new()
                .member_added("presence-a", "1")
                .event(serde_json::json!({"name": "member_updated", "channel": "presence-a"})),
        )
        .await;
    delivery.assert_ok();
    assert_eq!(delivery.events_of("zebra"), vec![0]);
    assert_eq!(delivery.events_of("middle"), vec![1]);
    assert_eq!(delivery.events_of("alpha"), vec![0, 1]);
}
