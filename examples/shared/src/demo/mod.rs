//! The demo sender: fires signed webhooks of every kind at a running app over real HTTP, plus
//! late, unreadable, forged, stale and future ones, and prints each answer; then a
//! `member_added` whose deferred job is done after the answer.

mod deferred;

use std::io;
use std::net::SocketAddr;

use pwh_core::dispatcher::{Clock, SystemClock};
use pwh_core::KeyRing;
use serde_json::{json, Value};

use crate::http;

pub use deferred::{prepare, DemoFiles, DEMO_SLOW};

/// The webhook path of the example apps.
pub const PATH: &str = "/pusher/webhooks";

/// One request of the demo and the status it must get.
struct Step {
    what: &'static str,
    method: &'static str,
    events: Vec<Value>,
    time_offset_ms: i64,
    forge: Forge,
    expect: u16,
}

enum Forge {
    No,
    BadSignature,
    UnknownKey,
}

fn steps() -> Vec<Step> {
    let step = |what, events: Vec<Value>| Step {
        what,
        method: "POST",
        events,
        time_offset_ms: 0,
        forge: Forge::No,
        expect: 200,
    };
    vec![
        step(
            "channel_occupied",
            vec![json!({"name": "channel_occupied", "channel": "news"})],
        ),
        step(
            "member_added",
            vec![
                json!({"name": "member_added", "channel": "presence-lobby", "user_id": "alice"}),
                json!({"name": "member_added", "channel": "presence-lobby", "user_id": "bob"}),
            ],
        ),
        step(
            "client_event",
            vec![json!({
                "name": "client_event", "channel": "presence-lobby", "event": "client-typing",
                "data": "{\"text\":\"hello from alice\"}", "socket_id": "123.456", "user_id": "alice",
            })],
        ),
        step(
            "client_event whose data is not JSON (counted, not retried)",
            vec![json!({
                "name": "client_event", "channel": "presence-lobby", "event": "client-typing",
                "data": "Unencrypted", "socket_id": "123.456", "user_id": "alice",
            })],
        ),
        step(
            "subscription_count",
            vec![json!({"name": "subscription_count", "channel": "news", "subscription_count": 3})],
        ),
        step(
            "cache_miss",
            vec![json!({"name": "cache_miss", "channel": "cache-prices"})],
        ),
        step(
            "member_removed",
            vec![json!({"name": "member_removed", "channel": "presence-lobby", "user_id": "bob"})],
        ),
        Step {
            time_offset_ms: -2_000,
            ..step(
                "retried member_added (older than the removal: ignored)",
                vec![
                    json!({"name": "member_added", "channel": "presence-lobby", "user_id": "bob"}),
                ],
            )
        },
        step(
            "channel_vacated",
            vec![json!({"name": "channel_vacated", "channel": "news"})],
        ),
        Step {
            time_offset_ms: -2_000,
            ..step(
                "late channel_occupied (older than the vacated: ignored)",
                vec![json!({"name": "channel_occupied", "channel": "news"})],
            )
        },
        step(
            "unknown kind, to the catch-all handler",
            vec![
                json!({"name": "member_updated", "channel": "presence-lobby", "user_id": "alice"}),
            ],
        ),
        Step {
            forge: Forge::BadSignature,
            expect: 401,
            ..step(
                "forged webhook (bad signature)",
                vec![json!({"name": "channel_occupied", "channel": "evil"})],
            )
        },
        Step {
            forge: Forge::UnknownKey,
            expect: 401,
            ..step(
                "webhook from an unknown key",
                vec![json!({"name": "channel_occupied", "channel": "evil"})],
            )
        },
        Step {
            time_offset_ms: -3_600_000,
            expect: 401,
            ..step(
                "stale webhook (an hour old)",
                vec![json!({"name": "channel_occupied", "channel": "old"})],
            )
        },
        Step {
            time_offset_ms: 3_600_000,
            expect: 401,
            ..step(
                "webhook from the future (an hour ahead: clock skew)",
                vec![json!({"name": "channel_occupied", "channel": "future"})],
            )
        },
        Step {
            method: "GET",
            expect: 405,
            ..step("GET instead of POST", vec![])
        },
    ]
}

/// Runs the demo against the app at `addr`, signing with the first token of `keys`. Prints
/// each request and its answer, then a `member_added` answered at once whose deferred job is
/// done later (polling `/state` until every `welcome_member` job of the demo is done), then the
/// app's `/state`. Returns how many answers (or deferred jobs) differed from what the HTTP
/// contract says.
///
/// # Errors
///
/// An I/O error when the app cannot be reached.
pub async fn run(addr: SocketAddr, keys: &KeyRing) -> io::Result<usize> {
    let Some(token) = keys.tokens().next() else {
        return Err(io::Error::other("no token to sign with"));
    };
    let now = SystemClock.now_ms();
    let mut surprises = 0;
    let done_before = deferred::jobs_done(addr).await?;
    let steps = steps();
    // Each member_added answered 200 becomes a welcome_member job.
    let jobs = steps
        .iter()
        .filter(|step| step.expect == 200)
        .flat_map(|step| &step.events)
        .filter(|event| event["name"] == "member_added")
        .count() as u64;
    println!("\n== pwh demo: sending webhooks to http://{addr}{PATH} ==");
    let sent = steps.len() as u64;
    for (n, step) in steps.into_iter().enumerate() {
        let time_ms = now.saturating_add_signed(step.time_offset_ms) + n as u64;
        let body = serde_json::to_vec(&json!({"time_ms": time_ms, "events": step.events}))?;
        let signature = keys.sign(token.key(), &body).unwrap_or_default();
        let (key, signature) = match step.forge {
            Forge::No => (token.key(), signature),
            Forge::BadSignature => (token.key(), "0".repeat(64)),
            Forge::UnknownKey => ("someone-else", signature),
        };
        let headers = [
            ("Content-Type", "application/json"),
            ("X-Pusher-Key", key),
            ("X-Pusher-Signature", signature.as_str()),
        ];
        let body = if step.method == "POST" {
            body
        } else {
            Vec::new()
        };
        let reply = http::send(addr, step.method, PATH, &headers, &body).await?;
        let mark = if reply.status == step.expect {
            "ok"
        } else {
            "UNEXPECTED"
        };
        if reply.status != step.expect {
            surprises += 1;
        }
        println!(
            "-> {:<60} {} {} ({mark}, expected {})",
            step.what,
            reply.status,
            reply.body.trim(),
            step.expect
        );
        // Let the handler's log line come out next to its request.
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    surprises += deferred::show(addr, keys, now + sent, jobs + 1, done_before).await?;
    let state = http::send(addr, "GET", "/state", &[], b"").await?;
    let pretty = serde_json::from_str::<Value>(&state.body)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or(state.body);
    println!("\n== GET /state ==\n{pretty}");
    println!(
        "\n== {} ==",
        if surprises == 0 {
            "every answer as expected".to_owned()
        } else {
            format!("{surprises} unexpected answers")
        }
    );
    Ok(surprises)
}

/// The exit code of a demo run: success when every answer was the one expected, else
/// failure (the error of a run that could not finish is logged).
pub fn exit_code(result: io::Result<usize>) -> std::process::ExitCode {
    match result {
        Ok(0) => std::process::ExitCode::SUCCESS,
        Ok(_) => std::process::ExitCode::FAILURE,
        Err(e) => {
            tracing::error!("demo failed: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
