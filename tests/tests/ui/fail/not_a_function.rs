use pwh_core::on_event;

#[on_event("channel_vacated")]
struct Vacated {
    channel: String,
}

fn main() {}
