use pwh_core::on_event;

#[derive(serde::Deserialize)]
struct Typing {
    text: String,
}

#[on_event("client_event")]
async fn typing(channel: &str, data: Typing) {
    println!("{channel}: {}", data.text);
}

fn main() {}
