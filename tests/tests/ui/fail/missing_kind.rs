use pwh_core::on_event;

#[on_event]
async fn vacated(channel: &str) {}

#[on_event(every)]
async fn all(channel: &str) {}

fn main() {}
