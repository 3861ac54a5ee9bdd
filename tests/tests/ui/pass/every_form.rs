//! Every parameter form compiles, for every known kind, custom kinds and `any`.
#![allow(unused)]

use pwh_core::handler::{RawValue, ExtractError};
use pwh_core::{on_event, ClientData, Event, EventContext, FromEvent, PusherEvent, Shared, Webhook};

#[derive(Clone)]
struct Feeds;

#[derive(serde::Deserialize)]
struct Typing {
    #[allow(dead_code)]
    text: String,
}

#[derive(FromEvent)]
struct Member<'a> {
    #[allow(dead_code)]
    channel: &'a str,
    #[allow(dead_code)]
    #[pwh(rename = "user_id")]
    user: String,
}

#[on_event("channel_occupied")]
async fn occupied(channel: &str, _hook: &Webhook<'_>, Shared(_feeds): Shared<Feeds>) {}

#[on_event("channel_vacated")]
fn vacated(mut channel: String, name: &str) -> Result<(), String> {
    channel.push_str(name);
    Ok(())
}

#[on_event("member_added")]
async fn added<'a>(channel: &'a str, user_id: &'a str) -> Result<(), std::io::Error> {
    Ok(())
}

#[on_event("member_removed")]
async fn removed(_member: Member<'_>) {}

#[on_event("client_event")]
async fn typing(
    channel: &str,
    event: &str,
    data: ClientData<Typing>,
    raw: &Event<'_>,
    socket_id: Option<&str>,
    user_id: Option<String>,
) {
}

#[on_event("cache_miss")]
async fn miss(channel: Option<&str>, _cx: EventContext<'_>) {}

#[on_event("subscription_count")]
async fn count(channel: &str, subscription_count: u64) {}

#[on_event(custom = "member_updated")]
async fn custom(anything: Option<&str>, other: serde_json::Value, extra: Option<&RawValue>, checked: Result<u64, ExtractError>) {}

#[on_event(any)]
pub async fn audit(kind: PusherEvent<'_>) {}

fn main() {}
