//! The contract the `dispatch` fuzz target checks: how an input becomes a request to
//! `Dispatcher::handle`, and what the answer may be. Plain Rust, so that the fuzz target
//! (`fuzz/fuzz_targets/dispatch.rs`) and a normal test (`tests/tests/fuzz_contract.rs`) run the
//! same checks; both include this file with `#[path]`.
//!
//! An input is split into a method, an `X-Pusher-Key` header, an `X-Pusher-Signature` header,
//! a dispatcher variant, the dispatcher's clock and a body:
//!
//! | byte | meaning |
//! |---|---|
//! | 0 | method: `% 4` = 0, 1 `POST`; 2 `GET`; 3 a fuzzed string |
//! | 1 | key: `% 8` = 0..=2 the first token's key; 3 the second's; 4 absent; 5..=7 fuzzed; bit 7: lowercase header names |
//! | 2 | signature: `% 4` = 0, 1 the body signed with the key's token (bit 4: uppercase and padded); 2 absent, or (bit 5) signed with the other token; 3 fuzzed |
//! | 3 | dispatcher: `(b & 0x7f) % 3` = 0 a 10 min max age and the delivery memory; 1 no max age, no memory; 2 the same with a 64-byte body limit. Bit 7: the clock follows |
//! | (8) | when byte 3 has bit 7: the clock's `now_ms`, little-endian; else [`NOW_MS`] |
//! | ... | the fuzzed strings in that order (method, key, signature), each a length byte and as many bytes (lossy UTF-8) |
//! | rest | the body |
//!
//! Missing bytes read as 0. Besides "never panics", the answer must be one the contract gives:
//! every refusal kind of `pwh_core::adapter::Rejection` is allowed only when the request is what its
//! documentation says (a 405 for another method than `POST`, a 413 over the body limit, a 401
//! naming what is wrong with key or signature, checked with an independent HMAC; for an
//! authentic request a 400 when malformed and a 401 when `time_ms` is further than the max age
//! in the past or the future), with the status the contract gives that kind, and without
//! running a handler. An authentic, fresh request gets 200, the catch-all handler having run
//! once per event (none for a replay, which only the delivery memory knows), and
//! `serde_json` reads the accepted body the same way; or 503 when the memory is full.
//! Nothing else: the catch-all never fails nor waits, and the refusals of adapters
//! (`UnreadableBody`, `NotConfigured`) never come from `handle`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use pwh_core::adapter::{Rejection, WebhookOutcome, WebhookResponse};
use pwh_core::delivery::StoreErrorKind;
use pwh_core::dispatcher::FixedClock;
use pwh_core::handler::{async_trait, EventHandler, EventRoute, HandlerInfo};
use pwh_core::{Dispatcher, EventContext, HandlerError, KeyRing, Token};
use sha2::Sha256;

/// The two tokens of the dispatchers (those of `conformance/cases.json`).
pub(crate) const TOKENS: [(&str, &str); 2] = [
    ("278d425bdf160c739803", "7ad3773142a6692b25b8"),
    ("5a1f0c9e7b3d2a4c6e8f", "rotated-secret-0f3b9c71d2"),
];

/// The clock when the input does not set it: the `now_ms` of most conformance cases.
pub(crate) const NOW_MS: u64 = 1_327_078_149_132;

/// The max age of dispatcher variant 0 (the conformance suite's).
pub(crate) const MAX_AGE_MS: u64 = 600_000;

/// The body limit of dispatcher variant 2.
pub(crate) const SMALL_LIMIT: usize = 64;

/// Byte 3's flag: the clock's 8 bytes follow.
pub(crate) const CLOCK_FOLLOWS: u8 = 0x80;

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

/// Reads an input front to back; missing bytes read as 0.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn byte(&mut self) -> u8 {
        let (&first, rest) = self.0.split_first().unwrap_or((&0, &[]));
        self.0 = rest;
        first
    }

    fn u64_le(&mut self) -> u64 {
        (0..8).fold(0, |n, i| n | u64::from(self.byte()) << (8 * i))
    }

    fn string(&mut self) -> String {
        let len = usize::from(self.byte()).min(self.0.len());
        let (bytes, rest) = self.0.split_at(len);
        self.0 = rest;
        String::from_utf8_lossy(bytes).into_owned()
    }
}

/// One decoded request.
struct Request<'a> {
    method: String,
    key: Option<String>,
    signature: Option<String>,
    lowercase: bool,
    variant: usize,
    now_ms: u64,
    body: &'a [u8],
}

impl<'a> Request<'a> {
    fn decode(data: &'a [u8]) -> Self {
        let mut r = Reader(data);
        let (method_sel, key_sel, sig_sel, dispatcher_sel) =
            (r.byte(), r.byte(), r.byte(), r.byte());
        let variant = usize::from(dispatcher_sel & !CLOCK_FOLLOWS) % 3;
        let now_ms = if dispatcher_sel & CLOCK_FOLLOWS != 0 {
            r.u64_le()
        } else {
            NOW_MS
        };
        let method = match method_sel % 4 {
            0 | 1 => "POST".to_owned(),
            2 => "GET".to_owned(),
            _ => r.string(),
        };
        let key = match key_sel % 8 {
            0..=2 => Some(TOKENS[0].0.to_owned()),
            3 => Some(TOKENS[1].0.to_owned()),
            4 => None,
            _ => Some(r.string()),
        };
        let fuzzed_signature = (sig_sel % 4 == 3).then(|| r.string());
        let body = r.0;
        let key_secret = key.as_deref().and_then(secret_of);
        let signature = match sig_sel % 4 {
            0 | 1 => {
                let signature = sign(key_secret.unwrap_or(TOKENS[0].1), body);
                Some(if sig_sel & 0x10 != 0 {
                    format!(" {}\t", signature.to_uppercase())
                } else {
                    signature
                })
            }
            2 if sig_sel & 0x20 != 0 => {
                let other = if key_secret == Some(TOKENS[0].1) {
                    TOKENS[1].1
                } else {
                    TOKENS[0].1
                };
                Some(sign(other, body))
            }
            2 => None,
            _ => fuzzed_signature,
        };
        Self {
            method,
            key,
            signature,
            lowercase: key_sel & 0x80 != 0,
            variant,
            now_ms,
            body,
        }
    }

    fn headers(&self) -> Vec<(&str, &str)> {
        let name = |name: &'static str, lower: &'static str| {
            if self.lowercase {
                lower
            } else {
                name
            }
        };
        let mut headers = vec![(name("Content-Type", "content-type"), "application/json")];
        if let Some(key) = &self.key {
            headers.push((name("X-Pusher-Key", "x-pusher-key"), key));
        }
        if let Some(signature) = &self.signature {
            headers.push((name("X-Pusher-Signature", "x-pusher-signature"), signature));
        }
        headers
    }
}

/// The secret of the token named by a key header (surrounding ASCII white space ignored).
fn secret_of(key: &str) -> Option<&'static str> {
    let key = key.trim_ascii();
    TOKENS.iter().find(|(k, _)| *k == key).map(|(_, s)| *s)
}

fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// A signature header's value without surrounding ASCII white space, unless blank.
fn trimmed(header: Option<&str>) -> Option<&str> {
    header.map(str::trim_ascii).filter(|s| !s.is_empty())
}

/// Whether a signature header is 64 hex digits (of either case).
fn well_formed(signature: Option<&str>) -> bool {
    trimmed(signature).is_some_and(|s| s.len() == 64 && hex::decode(s).is_ok())
}

/// The oracle: whether the signature is the HMAC of the body under the secret of the key, as
/// Pusher's receivers must check it (surrounding white space ignored, hex of either case).
fn authentic(request: &Request<'_>) -> bool {
    let Some(secret) = request.key.as_deref().and_then(secret_of) else {
        return false;
    };
    let Some(bytes) = trimmed(request.signature.as_deref()).and_then(|s| hex::decode(s).ok())
    else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(request.body);
    bytes.len() == 32 && mac.verify_slice(&bytes).is_ok()
}

/// The status the contract gives each refusal kind. A kind missing here fails to compile in
/// the fuzz target (`non_exhaustive_omitted_patterns`, nightly), and is an error here.
pub(crate) fn contract_status(rejection: &Rejection) -> Result<u16, String> {
    Ok(match rejection {
        Rejection::MethodNotAllowed { .. } => 405,
        Rejection::PayloadTooLarge { .. } => 413,
        Rejection::MissingKey
        | Rejection::UnknownKey
        | Rejection::MissingSignature
        | Rejection::MalformedSignature { .. }
        | Rejection::SignatureMismatch
        | Rejection::Stale { .. }
        | Rejection::FromTheFuture { .. } => 401,
        Rejection::Malformed { .. } | Rejection::UnreadableBody { .. } => 400,
        Rejection::NotConfigured => 500,
        _ => return Err(unknown(rejection)),
    })
}

fn unknown(rejection: &Rejection) -> String {
    format!(
        "a refusal kind the fuzz contract does not know: {}",
        rejection.label()
    )
}

/// What one input came to: the status, the refusal's label or how it was handled, and how many
/// times the catch-all ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Verdict {
    /// The status answered.
    pub(crate) status: u16,
    /// `Rejection::label`, or `handled`, `replayed`, `store_full`.
    pub(crate) kind: &'static str,
    /// How many times the catch-all handler ran.
    pub(crate) ran: usize,
}

/// Three dispatchers on one clock, and a runtime to drive them.
pub(crate) struct Harness {
    runtime: tokio::runtime::Runtime,
    clock: Arc<FixedClock>,
    dispatchers: [Dispatcher; 3],
    calls: Arc<AtomicUsize>,
}

impl Harness {
    /// The dispatchers of the table above, with an empty delivery memory.
    pub(crate) fn new() -> Self {
        let calls = Arc::new(AtomicUsize::new(0));
        let clock = Arc::new(FixedClock::new(NOW_MS));
        let keys = || KeyRing::new(TOKENS.map(|(k, s)| Token::new(k, s)));
        let base = || {
            Dispatcher::builder(keys())
                .registered_handlers(false)
                .clock(Arc::clone(&clock))
                .handler(CatchAll {
                    calls: Arc::clone(&calls),
                })
        };
        let dispatchers = [
            base()
                .max_age(Some(Duration::from_millis(MAX_AGE_MS)))
                .build(),
            base().max_age(None).without_delivery_log().build(),
            base()
                .max_age(None)
                .without_delivery_log()
                .body_limit(SMALL_LIMIT)
                .deadline(Some(Duration::from_secs(3)))
                .build(),
        ];
        Self {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .expect("a current-thread runtime"),
            clock,
            dispatchers,
            calls,
        }
    }

    /// Hands one input to its dispatcher and checks the answer against the contract.
    ///
    /// # Errors
    ///
    /// What of the contract the answer breaks (never the body nor a secret).
    pub(crate) fn run(&self, data: &[u8]) -> Result<Verdict, String> {
        let request = Request::decode(data);
        let dispatcher = &self.dispatchers[request.variant];
        self.clock.set(request.now_ms);
        let before = self.calls.load(Ordering::SeqCst);
        let headers = request.headers();
        let response = self.runtime.block_on(dispatcher.handle(
            &request.method,
            headers.as_slice(),
            request.body,
        ));
        let ran = self.calls.load(Ordering::SeqCst) - before;
        let status = response.status().as_u16();
        let check = Check {
            request: &request,
            body_limit: dispatcher.body_limit(),
            max_age_ms: (request.variant == 0).then_some(MAX_AGE_MS),
            remembers: request.variant == 0,
        };
        let kind = check.answer(&response, ran).map_err(|e| {
            format!(
                "variant {}, method {:?}, status {status}: {e}",
                request.variant,
                request.method.chars().take(16).collect::<String>()
            )
        })?;
        Ok(Verdict { status, kind, ran })
    }
}

/// One request and the dispatcher's configuration, to check an answer against.
struct Check<'r, 'a> {
    request: &'r Request<'a>,
    body_limit: usize,
    max_age_ms: Option<u64>,
    remembers: bool,
}

fn ensure(holds: bool, what: &str) -> Result<(), String> {
    if holds {
        Ok(())
    } else {
        Err(what.to_owned())
    }
}

impl Check<'_, '_> {
    fn answer(&self, response: &WebhookResponse, ran: usize) -> Result<&'static str, String> {
        let status = response.status().as_u16();
        match (response.rejection(), response.outcome()) {
            (Some(rejection), None) => {
                let label = rejection.label();
                let want = contract_status(rejection)?;
                ensure(
                    rejection.status() == want,
                    "Rejection::status is not the contract's",
                )?;
                ensure(status == want, "the status is not the contract's")?;
                ensure(ran == 0, "a handler ran on a refused request")?;
                self.refusal(rejection)
                    .map_err(|e| format!("refused as {label}, but {e}"))?;
                Ok(label)
            }
            (None, Some(outcome)) => self.handled(outcome, status, ran),
            _ => Err("an answer is a refusal or an outcome".to_owned()),
        }
    }

    /// `time_ms` as serde_json reads it, when it does.
    fn time_ms(&self) -> Option<u64> {
        let json: serde_json::Value = serde_json::from_slice(self.request.body).ok()?;
        json.get("time_ms")?.as_u64()
    }

    /// Whether the request reaches the signature check: a `POST` within the body limit.
    fn reaches_signature(&self) -> bool {
        self.request.method == "POST" && self.request.body.len() <= self.body_limit
    }

    /// Whether the request reaches the parser: authentic, as the oracle says.
    fn reaches_parser(&self) -> Result<(), String> {
        ensure(self.reaches_signature(), "the request is refused earlier")?;
        ensure(
            authentic(self.request),
            "the signature does not verify (401)",
        )
    }

    /// Whether the request is what the refusal kind's documentation says.
    fn refusal(&self, rejection: &Rejection) -> Result<(), String> {
        let request = self.request;
        let key = request.key.as_deref();
        let signature = request.signature.as_deref();
        match rejection {
            Rejection::MethodNotAllowed { method } => {
                ensure(request.method != "POST", "the method is POST")?;
                let sent: String = request.method.chars().take(16).collect();
                ensure(*method == sent, "it names another method")
            }
            Rejection::PayloadTooLarge { limit } => {
                ensure(request.method == "POST", "the method is not POST (405)")?;
                ensure(*limit == self.body_limit, "it names another limit")?;
                ensure(
                    request.body.len() > self.body_limit,
                    "the body is within it",
                )
            }
            Rejection::MissingKey => {
                ensure(self.reaches_signature(), "the request is refused earlier")?;
                ensure(trimmed(key).is_none(), "a key was sent")
            }
            Rejection::UnknownKey => {
                ensure(self.reaches_signature(), "the request is refused earlier")?;
                ensure(trimmed(key).is_some(), "no key was sent")?;
                ensure(key.and_then(secret_of).is_none(), "the key names a token")
            }
            Rejection::MissingSignature => {
                ensure(self.reaches_signature(), "the request is refused earlier")?;
                ensure(trimmed(signature).is_none(), "a signature was sent")
            }
            Rejection::MalformedSignature { .. } => {
                ensure(self.reaches_signature(), "the request is refused earlier")?;
                ensure(trimmed(signature).is_some(), "no signature was sent")?;
                ensure(!well_formed(signature), "the signature is 64 hex digits")
            }
            Rejection::SignatureMismatch => {
                ensure(self.reaches_signature(), "the request is refused earlier")?;
                ensure(key.and_then(secret_of).is_some(), "the key names no token")?;
                ensure(well_formed(signature), "the signature is not 64 hex digits")?;
                ensure(!authentic(request), "the signature verifies")
            }
            Rejection::Stale { age_ms, max_age_ms } => {
                self.reaches_parser()?;
                ensure(self.max_age_ms == Some(*max_age_ms), "not the max age")?;
                ensure(age_ms > max_age_ms, "it is not older than the max age")?;
                let age = self.time_ms().map(|t| request.now_ms.saturating_sub(t));
                ensure(
                    age.is_none_or(|age| age == *age_ms),
                    "not the age of time_ms",
                )
            }
            Rejection::FromTheFuture {
                ahead_ms,
                max_age_ms,
            } => {
                self.reaches_parser()?;
                ensure(self.max_age_ms == Some(*max_age_ms), "not the max age")?;
                ensure(
                    ahead_ms > max_age_ms,
                    "it is not further ahead than the max age",
                )?;
                let ahead = self.time_ms().map(|t| t.saturating_sub(request.now_ms));
                ensure(
                    ahead.is_none_or(|a| a == *ahead_ms),
                    "not how far ahead time_ms is",
                )
            }
            Rejection::Malformed { .. } => self.reaches_parser(),
            Rejection::UnreadableBody { .. } => Err("only an adapter reads the body".to_owned()),
            Rejection::NotConfigured => Err("only an adapter finds no dispatcher".to_owned()),
            _ => Err(unknown(rejection)),
        }
    }

    /// Checks an answer with an outcome: the request was authentic and fresh.
    fn handled(
        &self,
        outcome: &WebhookOutcome,
        status: u16,
        ran: usize,
    ) -> Result<&'static str, String> {
        self.reaches_parser()
            .map_err(|e| format!("handled, but {e}"))?;
        if let Some(error) = outcome.store_error() {
            ensure(self.remembers, "a store error without redelivery memory")?;
            ensure(
                error.kind() == StoreErrorKind::Full,
                "the memory fails, not full",
            )?;
            ensure(status == 503, "a full memory is not answered 503")?;
            ensure(ran == 0, "a handler ran without the memory")?;
            return Ok("store_full");
        }
        ensure(status == 200, "the catch-all never fails nor waits: 200")?;
        ensure(outcome.is_success(), "a 200 that is not a success")?;
        let kind = if outcome.is_replay() {
            ensure(self.remembers, "a replay without redelivery memory")?;
            ensure(ran == 0, "a replay ran handlers")?;
            "replayed"
        } else {
            ensure(ran == outcome.events(), "the catch-all runs once per event")?;
            "handled"
        };
        if let Some(max_age_ms) = self.max_age_ms {
            let now_ms = self.request.now_ms;
            let t = outcome.time_ms();
            ensure(
                now_ms.saturating_sub(t) <= max_age_ms,
                "accepted although stale",
            )?;
            ensure(
                t.saturating_sub(now_ms) <= max_age_ms,
                "accepted from the future",
            )?;
        }
        self.same_as_serde(outcome)?;
        Ok(kind)
    }

    /// Differential check: what pwh accepted, serde_json reads the same way.
    fn same_as_serde(&self, outcome: &WebhookOutcome) -> Result<(), String> {
        let json: serde_json::Value = match serde_json::from_slice(self.request.body) {
            Ok(json) => json,
            // pwh keeps fields as raw JSON and skips the top-level fields it does not read:
            // a number beyond f64 (`1e400`) and nesting deeper than serde_json's 128 levels
            // are valid JSON grammar, which serde_json's `Value` does not read.
            Err(e)
                if ["number out of range", "recursion limit exceeded"]
                    .iter()
                    .any(|limit| e.to_string().starts_with(limit)) =>
            {
                return Ok(())
            }
            Err(e) => return Err(format!("an accepted body is not JSON to serde_json: {e}")),
        };
        let Some(events) = json["events"].as_array() else {
            return Err("accepted, but events is not an array".to_owned());
        };
        ensure(events.len() == outcome.events(), "not as many events")?;
        ensure(
            json["time_ms"].as_u64() == Some(outcome.time_ms()),
            "not the same time_ms",
        )?;
        ensure(
            events.iter().all(|event| event["name"].is_string()),
            "accepted an event without a string name",
        )
    }
}
