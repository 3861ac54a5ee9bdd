//! A user crate with pwh-core as its only dependency: the handler registers itself and runs.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use pwh_core::{on_event, Dispatcher, KeyRing, Token};

static VACATED: AtomicUsize = AtomicUsize::new(0);

#[on_event("channel_vacated")]
async fn f(channel: &str) {
    assert_eq!(channel, "news");
    VACATED.fetch_add(1, Ordering::SeqCst);
}

fn main() {
    let keys = KeyRing::new([Token::new("key", "secret")]);
    // No deadline: no Tokio timer is needed, so this crate needs no runtime dependency.
    let dispatcher = Dispatcher::builder(keys.clone()).deadline(None).max_age(None).build();
    let body = br#"{"time_ms":1,"events":[{"name":"channel_vacated","channel":"news"}]}"#;
    let signature = keys.sign("key", body).unwrap_or_default();
    let headers = [("X-Pusher-Key", "key"), ("X-Pusher-Signature", signature.as_str())];
    let response = block_on(dispatcher.handle("POST", &headers, body));
    println!("status {} handled {}", response.status().as_u16(), VACATED.load(Ordering::SeqCst));
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(VACATED.load(Ordering::SeqCst), 1);
}

/// The smallest executor: poll, park until woken.
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::thread::park();
    }
}
