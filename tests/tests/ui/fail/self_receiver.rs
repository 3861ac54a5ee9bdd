use pwh_core::on_event;

struct Feeds;

impl Feeds {
    #[on_event("channel_vacated")]
    async fn vacated(&self, channel: &str) {}
}

fn main() {}
