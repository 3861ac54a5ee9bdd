use axum::extract::State;
use pwh_core::on_event;

#[derive(Clone)]
struct Feeds;

#[on_event("channel_vacated")]
async fn stop(channel: &str, State(feeds): State<Feeds>) {}

fn main() {}
