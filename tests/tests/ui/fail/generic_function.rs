use pwh_core::on_event;

#[on_event("channel_vacated")]
async fn vacated<T: Send>(channel: &str) {}

fn main() {}
