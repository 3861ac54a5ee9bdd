//! Fuzzes `Dispatcher::handle`, pwh-core's framework-free entry point.
//!
//! The input is split into a method, an `X-Pusher-Key` header, an `X-Pusher-Signature` header,
//! a dispatcher variant and a body:
//!
//! | byte | meaning |
//! |---|---|
//! | 0 | method: `% 4` = 0, 1 `POST`; 2 `GET`; 3 a fuzzed string (length byte + bytes) |
//! | 1 | key: `% 8` = 0..=2 the first token's key; 3 the second's; 4 absent; 5..=7 fuzzed; bit 7: lowercase header names |
//! | 2 | signature: `% 4` = 0, 1 the body signed with the key's token (so half the inputs pass verification and reach the parser; bit 4: uppercase and padded); 2 absent, or (bit 5) signed with the other token; 3 fuzzed |
//! | 3 | dispatcher: `% 3` = 0 defaults (10 min max age, redelivery memory); 1 no max age, no memory; 2 the same with a 64-byte body limit |
//! | rest | the body |
//!
//! `scripts/fuzz.sh` seeds the corpus with `[0, 0, 0, 1]` + each conformance case's body.
//!
//! Invariants, besides "never panics": the status is one of 200/400/401/405/413/500; another
//! method than `POST` gets 405, an oversized body 413, and a request whose signature does not
//! verify (checked here with an independent HMAC) gets 401, all without running a handler; an
//! authentic request gets 200 (the catch-all handler ran once per event, unless a replay), 400
//! (malformed, no handler) or 401 only when stale; a 200 body is JSON with as many events as
//! the outcome reports.

#![no_main]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use arbitrary::Unstructured;
use hmac::{Hmac, Mac};
use libfuzzer_sys::fuzz_target;
use pwh_core::{
    async_trait, Dispatcher, EventContext, EventHandler, HandlerError, HandlerInfo, KeyRing, Rejection,
    EventRoute, Token,
};
use sha2::Sha256;

/// The two tokens of the dispatcher (those of `conformance/cases.json`).
const TOKENS: [(&str, &str); 2] = [
    ("278d425bdf160c739803", "7ad3773142a6692b25b8"),
    ("5a1f0c9e7b3d2a4c6e8f", "rotated-secret-0f3b9c71d2"),
];

/// The body limit of dispatcher variant 2.
const SMALL_LIMIT: usize = 64;

/// A catch-all handler that touches the event as handlers do, counts its calls, and never fails.
struct CatchAll {
    calls: Arc<AtomicUsize>,
}

#[async_trait]
impl EventHandler for CatchAll {
    fn info(&self) -> HandlerInfo {
        HandlerInfo::new("fuzz::catch_all", EventRoute::Any)
    }

    async fn call(&self, cx: &EventContext<'_>) -> Result<(), HandlerError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let event = cx.event();
        let _ = event.typed();
        let _ = event.str("channel");
        for (key, _) in event.fields() {
            let _ = (
                event.str(key),
                event.get::<u64>(key),
                event.get::<serde_json::Value>(key),
            );
        }
        let _ = (cx.webhook().age_ms(), cx.webhook().events().len(), cx.key());
        Ok(())
    }
}

struct Fixture {
    runtime: tokio::runtime::Runtime,
    dispatchers: [Dispatcher; 3],
    calls: Arc<AtomicUsize>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let calls = Arc::new(AtomicUsize::new(0));
        let keys = || KeyRing::new(TOKENS.map(|(k, s)| Token::new(k, s)));
        let base = || {
            Dispatcher::builder(keys())
                .registered_handlers(false)
                .handler(CatchAll {
                    calls: Arc::clone(&calls),
                })
        };
        Fixture {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .expect("a current-thread runtime"),
            dispatchers: [
                base().build(),
                base().max_age(None).without_delivery_log().build(),
                base()
                    .max_age(None)
                    .without_delivery_log()
                    .body_limit(SMALL_LIMIT)
                    .deadline(Some(Duration::from_secs(3)))
                    .build(),
            ],
            calls,
        }
    })
}

fn secret_of(key: &str) -> Option<&'static str> {
    TOKENS.iter().find(|(k, _)| *k == key).map(|(_, s)| *s)
}

fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// The oracle: whether `signature` is the HMAC of `body` under the secret of `key`, as
/// Pusher's receivers must check it (surrounding white space ignored, hex of either case).
fn authentic(key: Option<&str>, signature: Option<&str>, body: &[u8]) -> bool {
    let Some(secret) = key.map(str::trim).and_then(secret_of) else {
        return false;
    };
    let Some(signature) = signature.map(str::trim) else {
        return false;
    };
    if signature.len() != 64 {
        return false;
    }
    let Ok(bytes) = hex::decode(signature) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    mac.verify_slice(&bytes).is_ok()
}

fn fuzzed_string(u: &mut Unstructured<'_>) -> String {
    let len = usize::from(u.arbitrary::<u8>().unwrap_or(0));
    let bytes = u.bytes(len.min(u.len())).unwrap_or_default();
    String::from_utf8_lossy(bytes).into_owned()
}

fuzz_target!(|data: &[u8]| {
    let fixture = fixture();
    let mut u = Unstructured::new(data);
    let method_sel: u8 = u.arbitrary().unwrap_or(0);
    let key_sel: u8 = u.arbitrary().unwrap_or(0);
    let sig_sel: u8 = u.arbitrary().unwrap_or(0);
    let variant = usize::from(u.arbitrary::<u8>().unwrap_or(0) % 3);

    let method = match method_sel % 4 {
        0 | 1 => "POST".to_owned(),
        2 => "GET".to_owned(),
        _ => fuzzed_string(&mut u),
    };
    let key: Option<String> = match key_sel % 8 {
        0..=2 => Some(TOKENS[0].0.to_owned()),
        3 => Some(TOKENS[1].0.to_owned()),
        4 => None,
        _ => Some(fuzzed_string(&mut u)),
    };
    enum Sig {
        Signed { padded: bool },
        Absent,
        OtherToken,
        Fuzzed(String),
    }
    let sig_kind = match sig_sel % 4 {
        0 | 1 => Sig::Signed {
            padded: sig_sel & 0x10 != 0,
        },
        2 if sig_sel & 0x20 != 0 => Sig::OtherToken,
        2 => Sig::Absent,
        _ => Sig::Fuzzed(fuzzed_string(&mut u)),
    };
    let body = u.take_rest();

    let key_secret = key.as_deref().map(str::trim).and_then(secret_of);
    let signature: Option<String> = match sig_kind {
        Sig::Signed { padded } => {
            let s = sign(key_secret.unwrap_or(TOKENS[0].1), body);
            Some(if padded {
                format!(" {}\t", s.to_uppercase())
            } else {
                s
            })
        }
        Sig::OtherToken => {
            let other = if key_secret == Some(TOKENS[0].1) {
                TOKENS[1].1
            } else {
                TOKENS[0].1
            };
            Some(sign(other, body))
        }
        Sig::Absent => None,
        Sig::Fuzzed(s) => Some(s),
    };

    let lower = key_sel & 0x80 != 0;
    let mut headers: Vec<(&str, &str)> = vec![(
        if lower {
            "content-type"
        } else {
            "Content-Type"
        },
        "application/json",
    )];
    if let Some(key) = &key {
        headers.push((
            if lower {
                "x-pusher-key"
            } else {
                "X-Pusher-Key"
            },
            key,
        ));
    }
    if let Some(signature) = &signature {
        headers.push((
            if lower {
                "x-pusher-signature"
            } else {
                "X-Pusher-Signature"
            },
            signature,
        ));
    }

    let dispatcher = &fixture.dispatchers[variant];
    let before = fixture.calls.load(Ordering::SeqCst);
    let response = fixture
        .runtime
        .block_on(dispatcher.handle(&method, headers.as_slice(), body));
    let ran = fixture.calls.load(Ordering::SeqCst) - before;
    let status = response.status().as_u16();

    assert!(
        matches!(status, 200 | 400 | 401 | 405 | 413 | 500),
        "unexpected status {status}"
    );
    if method != "POST" {
        assert_eq!(status, 405, "method {method:?}");
        assert_eq!(ran, 0, "a handler ran for method {method:?}");
        return;
    }
    if body.len() > dispatcher.body_limit() {
        assert_eq!(status, 413);
        assert_eq!(ran, 0, "a handler ran for an oversized body");
        return;
    }
    if !authentic(key.as_deref(), signature.as_deref(), body) {
        assert_eq!(
            status,
            401,
            "a request whose signature does not verify got {status} ({:?})",
            response.rejection()
        );
        assert_eq!(ran, 0, "a handler ran although the signature is invalid");
        return;
    }
    match status {
        200 => {
            let outcome = response.outcome().expect("a 200 carries an outcome");
            assert!(outcome.is_success());
            if outcome.is_replay() {
                assert_eq!(variant, 0, "a replay without redelivery memory");
                assert_eq!(ran, 0, "a replay ran handlers");
            } else {
                assert_eq!(ran, outcome.events(), "the catch-all runs once per event");
            }
            // Differential check: what pwh accepted, serde_json reads the same way.
            let json: serde_json::Value = match serde_json::from_slice(body) {
                Ok(json) => json,
                // pwh skips the top-level fields it does not read without converting their
                // numbers, and a number beyond f64 (`1e400`) is valid JSON grammar.
                Err(e) if e.to_string().starts_with("number out of range") => return,
                Err(e) => panic!("an accepted body is JSON: {e:?}"),
            };
            let events = json["events"]
                .as_array()
                .expect("accepted: events is an array");
            assert_eq!(events.len(), outcome.events());
            assert_eq!(json["time_ms"].as_u64(), Some(outcome.time_ms()));
            for event in events {
                assert!(
                    event["name"].is_string(),
                    "accepted: every event has a string name"
                );
            }
        }
        400 => {
            assert_eq!(ran, 0, "a handler ran on a malformed body");
            assert!(
                matches!(response.rejection(), Some(Rejection::Malformed { .. })),
                "{:?}",
                response.rejection()
            );
        }
        401 => {
            assert_eq!(ran, 0, "a handler ran on a refused webhook");
            assert!(
                matches!(response.rejection(), Some(Rejection::Stale { .. })),
                "an authentic POST refused with {:?}",
                response.rejection()
            );
            assert_eq!(variant, 0, "stale although the max age is off");
        }
        other => panic!(
            "an authentic POST with a no-op handler answered {other}: {:?}",
            response.outcome()
        ),
    }
});
