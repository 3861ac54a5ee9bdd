use pwh_core::on_event;

#[on_event("channel_vacated")]
async fn vacated(channel: &str) -> u32 {
    1
}

fn main() {}
