use pwh_core::FromEvent;

#[derive(FromEvent)]
enum Kind {
    Occupied,
}

#[derive(FromEvent)]
struct Member<'a> {
    #[pwh(name = "user_id")]
    user: &'a str,
}

fn main() {}
