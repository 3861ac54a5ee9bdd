use pwh_core::on_event;

// `user_id` comes with a client event only on presence channels.
#[on_event("client_event")]
async fn typing(channel: &str, user_id: &str) {}

fn main() {}
