use pwh_core::on_event;

#[on_event("member_added")]
async fn added<T>(channel: &str, user: &str, socket_id: Option<&str>) {}

fn main() {}
