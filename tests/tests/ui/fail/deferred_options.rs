use pwh_core::on_event;

#[on_event("member_added", deferred(backoff = "soon"))]
async fn a(user_id: &str) {}

#[on_event("member_added", deferred(retries = 3))]
async fn b(user_id: &str) {}

#[on_event("member_added", deferred(max_attempts = 0))]
async fn c(user_id: &str) {}

#[on_event("member_added", later)]
async fn d(user_id: &str) {}

fn main() {}
