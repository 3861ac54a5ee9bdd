//! The rotation scenario: the app has two tokens (its main one, A, and B in
//! `PUSHER_EXTRA_TOKENS`), as during a secret rotation. One body signed by A goes to instance 1,
//! then the same bytes signed by B (`X-Pusher-Key` B) to instance 2: both must be answered 200
//! and the body's events handled once in all (a body is one delivery whatever token of the app
//! signed it). A second body goes the other way round (B to instance 1, then A to instance 2),
//! and a third, signed by B only, to instance 2 shows B is accepted and runs handlers there.

use std::time::{SystemTime, UNIX_EPOCH};

use pwh_core::{KeyRing, Token};

use super::pair::{post, Pair};
use super::probe::{self, ProbeReport};
use crate::app::{Credentials, Launch};
use crate::bodies::{self, Delivery};
use crate::cli::Scenario;

/// One post of the scenario: to which instance (0-based), signed by which token.
struct Step {
    body: usize,
    instance: usize,
    token: usize,
}

/// The posts in order: body 0 A@1 then B@2; body 1 B@1 then A@2; body 2 B@2 (the control).
const STEPS: [Step; 5] = [
    Step {
        body: 0,
        instance: 0,
        token: 0,
    },
    Step {
        body: 0,
        instance: 1,
        token: 1,
    },
    Step {
        body: 1,
        instance: 0,
        token: 1,
    },
    Step {
        body: 1,
        instance: 1,
        token: 0,
    },
    Step {
        body: 2,
        instance: 1,
        token: 1,
    },
];

/// Runs the scenario on a fresh Redis and two fresh apps (no injected failures).
pub(super) async fn run(
    bin: &std::path::Path,
    credentials: &Credentials,
) -> Result<ProbeReport, String> {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64);
    // Token B: made up for this run, given to the apps only; never printed.
    let b_key = if credentials.key == "rotated-key" {
        "rotated-key-2"
    } else {
        "rotated-key"
    };
    let b_secret = format!("rotation-{now_ms:x}-{}", std::process::id());
    let keys = KeyRing::new([
        Token::new(credentials.key.clone(), credentials.secret.clone()),
        Token::new(b_key, b_secret.clone()),
    ]);
    let names = [credentials.key.as_str(), b_key];
    let launch = Launch {
        extra_tokens: Some(format!("{b_key}:{b_secret}")),
        ..Launch::default()
    };
    let pair = Pair::start(bin, credentials, launch).await?;
    let plan = bodies::plan(
        3,
        &format!("{now_ms:x}rot"),
        now_ms,
        &keys,
        names[0],
        &bodies::KINDS,
    )
    .ok_or("cannot sign with the configured token")?;

    let mut lines = Vec::new();
    let mut answers_ok = true;
    let mut handled_after = Vec::new();
    for step in &STEPS {
        let Delivery { body, .. } = &plan.deliveries[step.body];
        let key = names[step.token];
        let signature = keys.sign(key, body).ok_or("cannot sign")?;
        let (status, took) = post(pair.addr(step.instance), body.clone(), key, &signature).await;
        let handled = pair.handled_total().await;
        handled_after.push(handled);
        answers_ok &= status == Ok(200);
        let events = plan
            .planned
            .iter()
            .filter(|e| e.webhook == step.body)
            .count();
        lines.push((
            if lines.is_empty() { "posts" } else { "" },
            format!(
                "body {} ({events} events) signed by token {} (key `{key}`) to instance {}: {} in {}; events handled so far (both /state): {}",
                step.body + 1,
                ["A", "B"][step.token],
                step.instance + 1,
                probe::status(&status),
                probe::ms(took),
                handled.map_or_else(|| "unknown".to_owned(), |n| n.to_string())
            ),
        ));
    }
    let states = pair.states().await;
    let stopped = pair.stop().await;
    // The second post of a body (steps 1 and 3) must add nothing; the control adds its events.
    let replayed = handled_after.get(1) == handled_after.first()
        && handled_after.get(3) == handled_after.get(2);
    let control = plan.planned.iter().filter(|e| e.webhook == 2).count() as u64;
    let control_ran = stopped.ledger.state_of(1).handled_total >= control && control > 0;
    let mut report = ProbeReport {
        scenario: Scenario::Rotation,
        mode: "no injected failures".to_owned(),
        lines,
        checks: vec![
            ("every post 200", answers_ok),
            ("second signature handled nothing", replayed),
            ("token B runs handlers", control_ran),
        ],
        stopped,
    };
    probe::exactly_once(&mut report, &plan.planned, &states);
    Ok(report)
}
