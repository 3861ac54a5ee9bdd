use pwh_core::on_event;

#[on_event("channel_vacatd")]
async fn vacated(channel: &str) {}

fn main() {}
