use pwh_core::{on_event, Job};

#[on_event("member_added")]
async fn welcome(user_id: &str, job: Job) {}

fn main() {}
