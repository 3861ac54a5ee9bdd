// The macro's error leaves the function in place: no "unused import" for what only the
// handler uses, no "cannot find function" for its callers.
use pwh_core::{on_event, ClientData};

#[derive(serde::Deserialize)]
struct Typing {
    text: String,
}

#[on_event("client_event")]
async fn typing(chanel: &str, ClientData(typing): ClientData<Typing>) {
    let _ = typing.text;
}

fn main() {
    let _ = typing;
}
