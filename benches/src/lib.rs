//! Shared pieces of pwh's benchmarks (issue 6).
//!
//! - [`pool`] and [`kind_pool`]: distinct, realistic, signed Pusher webhook bodies, so that
//!   every delivery is a first delivery and the dispatcher's delivery memory remembers each
//!   instead of answering replays.
//! - [`dispatcher`]: the framework-free entry point under test, with a fixed clock, a delivery
//!   log with room for a pool's bodies and only the handlers given to it.
//! - [`Noop`] and [`KindHandler`]: hand-written [`EventHandler`]s that do nothing but look at the
//!   event's `channel`.
//! - [`baseline`]: the minimum a careful user would write by hand.
//!
//! The criterion benches are in `benches/dispatch.rs`; the bare HTTP apps and the body
//! generator used by `scripts/http-bench.sh` are in `src/bin/`.

use std::fmt::Write as _;

use hmac::{Hmac, Mac};
use pwh_core::delivery::MemoryLog;
use pwh_core::dispatcher::{DispatcherBuilder, FixedClock};
use pwh_core::handler::{async_trait, EventHandler, EventRoute, HandlerInfo};
use pwh_core::{Dispatcher, EventContext, HandlerError, KeyRing, Token};
use sha2::Sha256;

pub mod baseline;

/// The key of the token that signs every benchmark body (the example apps' demo key).
pub const KEY: &str = "demo-key";
/// The secret of that token (the example apps' demo secret).
pub const SECRET: &str = "demo-secret";
/// "Now" for the in-process benchmarks: the dispatcher's fixed clock shows it, and the bodies
/// were created up to a few seconds before it.
pub const NOW_MS: u64 = 1_700_000_000_000;
/// The max age every contender enforces: pwh's default, 10 minutes.
pub const MAX_AGE_MS: u64 = 600_000;
/// Distinct bodies per pool of the in-process benchmarks (`benches/dispatch.rs`).
pub const POOL: usize = 10_000;
/// How many bodies the dispatcher under test has room for: every body of a pool, so that its
/// memory never forgets a complete body before its max age (what a full memory does, with a
/// warning: a degraded state, not the steady one). A second pass through a pool would be
/// replays, so the benchmarks make a new dispatcher when the pool wraps.
pub const DELIVERY_LOG_CAPACITY: usize = POOL;

/// A webhook as Pusher sends it: the raw body and its `X-Pusher-Signature`.
#[derive(Debug, Clone)]
pub struct Signed {
    /// The raw JSON body.
    pub body: Vec<u8>,
    /// Lowercase hex HMAC-SHA256 of `body` with [`SECRET`].
    pub signature: String,
}

impl Signed {
    /// Signs `body` with [`SECRET`].
    pub fn new(body: Vec<u8>) -> Self {
        let signature = sign(SECRET, &body);
        Self { body, signature }
    }

    /// The request headers, as Pusher sends them (mixed case: lookups ignore it).
    pub fn headers(&self) -> [(&str, &str); 2] {
        [
            ("X-Pusher-Key", KEY),
            ("X-Pusher-Signature", self.signature.as_str()),
        ]
    }
}

/// Lowercase hex HMAC-SHA256 of `body` keyed with `secret`.
pub fn sign(secret: &str, body: &[u8]) -> String {
    // HMAC takes keys of any length.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// The event kinds of the mix, in the order a batch cycles through them.
///
/// Only kinds whose fields are all strings: the `pusher` crate 0.4.5 reads every event as a
/// `HashMap<String, String>` and panics on a number (`subscription_count`).
pub const MIX: [&str; 5] = [
    "channel_occupied",
    "member_added",
    "client_event",
    "member_removed",
    "channel_vacated",
];

/// Appends event number `j` of body number `i` to `out`: a realistic Pusher event of kind
/// `MIX[(i + j) % 5]` on one of `channels` channels.
fn push_event(out: &mut String, i: usize, j: usize, channels: usize) {
    let c = (i.wrapping_mul(7).wrapping_add(j)) % channels.max(1);
    let user = (i + j) % 50;
    let kind = MIX[(i + j) % MIX.len()];
    // `write!` to a String cannot fail.
    let _ = match kind {
        "channel_occupied" | "channel_vacated" => {
            write!(out, r#"{{"name":"{kind}","channel":"private-room-{c}"}}"#)
        }
        "member_added" | "member_removed" => write!(
            out,
            r#"{{"name":"{kind}","channel":"presence-room-{c}","user_id":"user-{user}"}}"#
        ),
        _ => write!(
            out,
            r#"{{"name":"client_event","channel":"presence-room-{c}","event":"client-typing","data":"{{\"text\":\"user-{user} is typing\"}}","socket_id":"{}.{}","user_id":"user-{user}"}}"#,
            100_000 + i % 900_000,
            1_000_000 + j,
        ),
    };
}

/// Body number `i`: `events` events of the [`MIX`] created at `time_ms`, on one of
/// `channels` channels each.
pub fn body(i: usize, events: usize, time_ms: u64, channels: usize) -> Vec<u8> {
    let mut out = String::with_capacity(64 + events * 200);
    let _ = write!(out, r#"{{"time_ms":{time_ms},"events":["#);
    for j in 0..events {
        if j > 0 {
            out.push(',');
        }
        push_event(&mut out, i, j, channels);
    }
    out.push_str("]}");
    out.into_bytes()
}

/// `n` distinct signed bodies of `events` events each, body `i` created at `now_ms - i`
/// (so all are distinct and fresh for 10 minutes less `n` milliseconds).
pub fn pool(n: usize, events: usize, now_ms: u64) -> Vec<Signed> {
    (0..n)
        .map(|i| Signed::new(body(i, events, now_ms - i as u64, 1_000)))
        .collect()
}

/// `n` distinct signed one-event bodies for the routing benchmark: body `i` holds one event
/// of kind `kind_{i % kinds}` (the kinds [`KindHandler`]s register), created at `now_ms - i`.
pub fn kind_pool(n: usize, kinds: usize, now_ms: u64) -> Vec<Signed> {
    (0..n)
        .map(|i| {
            let body = format!(
                r#"{{"time_ms":{},"events":[{{"name":"kind_{}","channel":"private-room-{}"}}]}}"#,
                now_ms - i as u64,
                i % kinds.max(1),
                i % 1_000,
            );
            Signed::new(body.into_bytes())
        })
        .collect()
}

/// What every contender's handler does with an event: look at its channel, nothing more.
#[inline(never)]
pub fn noop(channel: Option<&str>) {
    std::hint::black_box(channel);
}

/// The no-op of a hand-written `match` arm for kind number `kind`: as cheap as [`noop`].
#[inline(never)]
pub fn on_kind(kind: u8, channel: Option<&str>) {
    std::hint::black_box((kind, channel));
}

/// A catch-all no-op handler: it receives every event, like the baseline's `match` calls a
/// no-op for every event. It never waits, so it answers through `call_now`, as an
/// `#[on_event]` plain `fn` does.
#[derive(Debug, Clone, Copy, Default)]
pub struct Noop;

#[async_trait]
impl EventHandler for Noop {
    fn info(&self) -> HandlerInfo {
        HandlerInfo::new("noop", EventRoute::Any)
    }

    async fn call(&self, cx: &EventContext<'_>) -> Result<(), HandlerError> {
        self.call_now(cx).unwrap_or(Ok(()))
    }

    fn call_now(&self, cx: &EventContext<'_>) -> Option<Result<(), HandlerError>> {
        noop(cx.event().str("channel"));
        Some(Ok(()))
    }
}

/// EventHandler number `i` of the routing benchmark: named `h{i}`, receiving kind `kind_{i}`.
///
/// Its name and kind are `&'static str`, as those of `#[on_event]` handlers are (the macro
/// writes them into the binary): made once per process for the first [`KINDS`] numbers.
#[derive(Debug, Clone, Copy)]
pub struct KindHandler {
    name: &'static str,
    kind: &'static str,
}

/// How many distinct [`KindHandler`]s there are.
pub const KINDS: usize = 10_000;

impl KindHandler {
    /// EventHandler number `i` (below [`KINDS`]).
    pub fn new(i: usize) -> Self {
        static NAMES: std::sync::OnceLock<Vec<(&'static str, &'static str)>> =
            std::sync::OnceLock::new();
        let names = NAMES.get_or_init(|| {
            (0..KINDS)
                .map(|i| {
                    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
                    (leak(format!("h{i}")), leak(format!("kind_{i}")))
                })
                .collect()
        });
        let (name, kind) = names[i];
        Self { name, kind }
    }
}

#[async_trait]
impl EventHandler for KindHandler {
    fn info(&self) -> HandlerInfo {
        HandlerInfo::new(self.name, EventRoute::kind(self.kind))
    }

    async fn call(&self, cx: &EventContext<'_>) -> Result<(), HandlerError> {
        self.call_now(cx).unwrap_or(Ok(()))
    }

    fn call_now(&self, cx: &EventContext<'_>) -> Option<Result<(), HandlerError>> {
        noop(cx.event().str("channel"));
        Some(Ok(()))
    }
}

/// The entry point under test: a dispatcher accepting [`KEY`], whose clock shows [`NOW_MS`],
/// with room for [`DELIVERY_LOG_CAPACITY`] bodies, with the default max age and deadline,
/// and running only `handlers` (no `#[on_event]` registrations).
pub fn dispatcher<H: EventHandler>(handlers: impl IntoIterator<Item = H>) -> Dispatcher {
    with_handlers(
        builder().delivery_log(MemoryLog::with_room_for(DELIVERY_LOG_CAPACITY)),
        handlers,
    )
}

/// The same as [`dispatcher`] without a delivery log (`without_delivery_log`): verify, parse,
/// freshness and dispatch only, the work the hand-written baseline does.
pub fn dispatcher_without_log<H: EventHandler>(
    handlers: impl IntoIterator<Item = H>,
) -> Dispatcher {
    with_handlers(builder().without_delivery_log(), handlers)
}

fn builder() -> DispatcherBuilder {
    Dispatcher::builder(KeyRing::new([Token::new(KEY, SECRET)]))
        .registered_handlers(false)
        .clock(FixedClock::new(NOW_MS))
}

fn with_handlers<H: EventHandler>(
    mut builder: DispatcherBuilder,
    handlers: impl IntoIterator<Item = H>,
) -> Dispatcher {
    for handler in handlers {
        builder = builder.handler(handler);
    }
    builder.build()
}

/// The hand-written receiver of the HTTP bench apps `hand-axum` and `hand-rocket`: the demo
/// token (`demo-key` / `demo-secret`, which `gen-bodies` signs with) and a 10 minute max age.
pub fn hand_receiver() -> baseline::Baseline {
    baseline::Baseline::new("demo-key", "demo-secret", 600_000)
}

/// Now, in Unix milliseconds (0 if the clock is before 1970).
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The listen address of the HTTP bench apps: `PWH_ADDR`, default `127.0.0.1:3001`.
///
/// # Errors
///
/// A message naming the value when it is not a socket address.
pub fn listen_addr() -> Result<std::net::SocketAddr, String> {
    let addr = std::env::var("PWH_ADDR").unwrap_or_else(|_| "127.0.0.1:3001".to_owned());
    addr.parse()
        .map_err(|_| format!("PWH_ADDR={addr:?} is not a socket address like 127.0.0.1:3001"))
}

/// Rocket's configuration for the HTTP bench apps: `addr`, logging off.
pub fn rocket_config(addr: std::net::SocketAddr) -> rocket::figment::Figment {
    rocket::Config::figment()
        .merge(("address", addr.ip()))
        .merge(("port", addr.port()))
        .merge(("log_level", rocket::config::LogLevel::Off))
        .merge(("cli_colors", false))
}

/// Runs a Rocket HTTP bench app named `name`: `build` gets the configuration (address from
/// `PWH_ADDR`, logging off) and returns the app to launch. Exits with failure on a bad
/// address or a launch error, saying which.
pub async fn launch_rocket(
    name: &str,
    build: impl FnOnce(rocket::figment::Figment) -> rocket::Rocket<rocket::Build>,
) -> std::process::ExitCode {
    let addr = match listen_addr() {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    eprintln!("{name} listening on http://{addr}");
    match build(rocket_config(addr)).launch().await {
        Ok(_) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The dispatcher of the `noop-*` HTTP bench apps: pwh's defaults (system clock, 10 minute
/// max age, 64 MiB delivery memory, 3 s deadline), the demo token, and one catch-all
/// no-op handler.
pub fn noop_app_dispatcher() -> Dispatcher {
    Dispatcher::builder(KeyRing::new([Token::new(KEY, SECRET)]))
        .registered_handlers(false)
        .handler(Noop)
        .build()
}

/// The header `name` (lowercase) among `headers`, ignoring case, as every contender reads it.
pub fn header<'h>(headers: &[(&'h str, &'h str)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| *v)
}
