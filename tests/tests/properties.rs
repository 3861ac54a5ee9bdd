//! Property tests: hostile input never panics, signatures round-trip, and any change to a
//! signed body is refused.

use proptest::prelude::*;
use pwh_core::adapter::Rejection;
use pwh_core::dispatcher::FixedClock;
use pwh_core::testing::{test_token, TestWebhook, TEST_KEY, TEST_TIME_MS};
use pwh_core::{Dispatcher, KeyRing};
use pwh_tests::Recorder;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn dispatcher(recorder: &Recorder) -> Dispatcher {
    Dispatcher::builder(KeyRing::new([test_token()]))
        .registered_handlers(false)
        .handler(recorder.clone())
        .clock(FixedClock::new(TEST_TIME_MS))
        .without_delivery_log()
        .build()
}

/// Bodies that look like webhooks more often than random bytes would.
fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..256),
        "[ -~]{0,200}".prop_map(String::into_bytes),
        (
            any::<i64>(),
            proptest::collection::vec(("[a-z_]{0,12}", "[ -~]{0,12}"), 0..4)
        )
            .prop_map(|(time, events)| {
                let events: Vec<_> = events
                    .into_iter()
                    .map(|(name, channel)| serde_json::json!({"name": name, "channel": channel}))
                    .collect();
                serde_json::to_vec(&serde_json::json!({"time_ms": time, "events": events})).unwrap()
            }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Arbitrary method, headers and body: an answer from the contract, never a panic; a
    /// handler runs only for a correctly signed webhook.
    #[test]
    fn arbitrary_requests_never_panic(
        method in prop_oneof![Just("POST".to_owned()), "[A-Za-z]{0,8}"],
        key in proptest::option::of(prop_oneof![Just(TEST_KEY.to_owned()), "[ -~]{0,24}"]),
        signature in proptest::option::of("[ -~]{0,80}"),
        sign_it in any::<bool>(),
        body in body(),
    ) {
        let recorder = Recorder::default();
        let dispatcher = dispatcher(&recorder);
        let keys = KeyRing::new([test_token()]);
        let signature = if sign_it { keys.sign(TEST_KEY, &body) } else { signature };
        let mut headers = Vec::new();
        if let Some(key) = &key { headers.push(("X-Pusher-Key", key.clone())); }
        if let Some(signature) = &signature { headers.push(("X-Pusher-Signature", signature.clone())); }
        let response = runtime().block_on(dispatcher.handle(&method, headers.as_slice(), &body));
        let status = response.status().as_u16();
        prop_assert!([200, 400, 401, 405, 413, 500].contains(&status), "status {}", status);
        let verified = method == "POST"
            && key.as_deref().map(str::trim) == Some(TEST_KEY)
            && keys.verify(Some(TEST_KEY), signature.as_deref(), &body).is_ok();
        if !verified {
            prop_assert!(status != 200 && recorder.events().is_empty());
        }
        if status == 200 {
            prop_assert!(verified);
        }
    }

    /// Whatever the body, what `sign` produces `verify` accepts, with the same key only.
    #[test]
    fn sign_then_verify_round_trips(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let keys = KeyRing::new([test_token(), pwh_core::Token::new("other", "other-secret")]);
        let signature = keys.sign(TEST_KEY, &body).unwrap();
        prop_assert_eq!(signature.len(), 64);
        let verified = keys.verify(Some(TEST_KEY), Some(&signature), &body).unwrap();
        prop_assert_eq!(verified.token().key(), TEST_KEY);
        prop_assert_eq!(
            keys.verify(Some("other"), Some(&signature), &body).unwrap_err(),
            Rejection::SignatureMismatch
        );
    }

    /// Changing any single byte of a signed webhook gets it refused with 401, and no handler
    /// runs.
    #[test]
    fn any_single_byte_change_is_refused(
        channels in proptest::collection::vec("[a-z-]{1,16}", 1..4),
        position in any::<prop::sample::Index>(),
        delta in 1u8..=255,
    ) {
        let hook = channels
            .iter()
            .fold(TestWebhook::new(), |hook, channel| hook.channel_occupied(channel));
        let signed = hook.signed();
        let mut body = signed.body.clone();
        let i = position.index(body.len());
        body[i] = body[i].wrapping_add(delta);
        let recorder = Recorder::default();
        let dispatcher = dispatcher(&recorder);
        let runtime = runtime();
        let response = runtime.block_on(dispatcher.handle("POST", signed.headers.as_slice(), &body));
        prop_assert_eq!(response.status().as_u16(), 401);
        prop_assert_eq!(response.rejection(), Some(&Rejection::SignatureMismatch));
        prop_assert!(recorder.events().is_empty());
        // The untouched body still goes through.
        let response = runtime.block_on(dispatcher.handle("POST", signed.headers.as_slice(), &signed.body));
        prop_assert_eq!(response.status().as_u16(), 200);
    }
}
