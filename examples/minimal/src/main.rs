//! The smallest pwh app: `cargo run -p example-minimal`, then send it a signed webhook.
use pwh_core::{on_event, Dispatcher, KeyRing, Token};

#[on_event("member_added")]
async fn log_member(channel: &str, user_id: &str) {
    tracing::info!("{user_id} joined {channel}");
}

#[on_event("channel_vacated")]
async fn log_vacated(channel: &str) {
    tracing::info!("nobody left on {channel}");
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // pwh logs with tracing: show its lines and the handlers' at `info`.
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .init();
    let keys = if std::env::var_os(pwh_core::keyring::ENV_KEY).is_some() {
        KeyRing::from_env()? // PUSHER_APP_KEY and PUSHER_APP_SECRET: your Pusher app's token
    } else {
        println!("PUSHER_APP_KEY is unset: using the public DEMO token demo-key / demo-secret");
        KeyRing::new([Token::new("demo-key", "demo-secret")])
    };
    let dispatcher = Dispatcher::builder(keys).build(); // runs the #[on_event] handlers above
    let app = axum::Router::new().route("/pusher/webhooks", pwh_axum::webhooks(dispatcher));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    let addr = listener.local_addr()?;
    println!("listening on http://{addr}/pusher/webhooks; send it a webhook (demo token):");
    println!("  PUSHER_APP_KEY=demo-key PUSHER_APP_SECRET=demo-secret \\");
    println!(
        "  cargo run -p pwh-cli -- send member_added --channel presence-lobby --user-id alice"
    );
    axum::serve(listener, app).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use pwh_core::testing::{Harness, TestWebhook};

    #[tokio::test]
    async fn both_handlers_run() {
        let webhook = TestWebhook::new()
            .member_added("presence-lobby", "alice")
            .channel_vacated("news");
        let delivery = Harness::new().deliver(webhook).await; // every #[on_event] handler
        delivery.assert_ok();
        assert!(delivery.ran("log_member"));
        assert!(delivery.ran("log_vacated"));
    }
}
