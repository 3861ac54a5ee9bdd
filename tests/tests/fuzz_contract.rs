//! The `dispatch` fuzz target's checks in the normal test suite: the contract of
//! `fuzz/contract/dispatch.rs` over the committed seeds (`fuzz/seeds/dispatch`, also the
//! corpus seeds of `scripts/fuzz.sh`) and over every conformance case wrapped as the target's
//! input, so that a contract change the target misses fails here and not months later in a
//! fuzzing run.

#[path = "../../fuzz/contract/dispatch.rs"]
mod contract;

use std::collections::BTreeSet;
use std::path::Path;

use contract::{Harness, CLOCK_FOLLOWS, TOKENS};
use pwh_core::adapter::Rejection;
use pwh_tests::{Case, Suite};

/// The committed seeds, in name order.
fn seeds() -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds/dispatch");
    let mut seeds: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("fuzz/seeds/dispatch: {e}"))
        .map(|entry| {
            let path = entry.expect("a directory entry").path();
            let name = path
                .file_name()
                .expect("a name")
                .to_string_lossy()
                .into_owned();
            let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, data)
        })
        .collect();
    seeds.sort();
    seeds
}

/// What the harness must answer besides the refusals: an accepted webhook, and one the
/// delivery memory has seen.
const HANDLED: [&str; 2] = ["handled", "replayed"];

#[test]
fn every_seed_keeps_the_contract_and_comes_to_what_its_name_says() {
    let seeds = seeds();
    assert!(seeds.len() >= 30, "only {} seeds", seeds.len());
    let harness = Harness::new();
    let mut failures = Vec::new();
    let mut reached = BTreeSet::new();
    for (name, data) in &seeds {
        let want = name.split_once("--").map_or("", |(kind, _)| kind);
        match harness.run(data) {
            Ok(verdict) if verdict.kind == want => {
                reached.insert(verdict.kind);
            }
            Ok(verdict) => failures.push(format!("{name}: came to {verdict:?}")),
            Err(violation) => failures.push(format!("{name}: {violation}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The seeds reach every answer `handle` may give with the catch-all handler (a full
    // memory aside): each refusal kind of the dispatcher's check, an accepted webhook, a replay.
    let mut every: BTreeSet<&str> = refusal_kinds()
        .iter()
        .map(Rejection::label)
        .filter(|label| !["unreadable_body", "not_configured"].contains(label))
        .collect();
    every.extend(HANDLED);
    assert_eq!(reached, every);
}

/// A conformance case as the fuzz target's input: method, key and signature as sent (the
/// fuzzed strings where they are not the target's own), dispatcher variant 0 (the suite's max
/// age, with the delivery memory) and the case's clock.
fn wrap(case: &Case) -> Vec<u8> {
    let header = |name: &str| {
        case.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    };
    let mut strings = Vec::new();
    let mut fuzzed = |s: &str| {
        let len = u8::try_from(s.len()).expect("a string under 256 bytes");
        strings.push(len);
        strings.extend_from_slice(s.as_bytes());
    };
    let method = match case.method.as_str() {
        "POST" => 0,
        "GET" => 2,
        other => {
            fuzzed(other);
            3
        }
    };
    let key = match header("x-pusher-key") {
        Some(key) if key == TOKENS[0].0 => 0,
        Some(key) if key == TOKENS[1].0 => 3,
        None => 4,
        Some(other) => {
            fuzzed(other);
            5
        }
    };
    let signature = match header("x-pusher-signature") {
        None => 2,
        Some(signature) => {
            fuzzed(signature);
            3
        }
    };
    let mut input = vec![method, key, signature, CLOCK_FOLLOWS];
    input.extend_from_slice(&case.now_ms.to_le_bytes());
    input.extend(strings);
    input.extend(case.body());
    input
}

#[test]
fn every_conformance_case_wrapped_as_the_targets_input_keeps_the_contract_and_its_status() {
    let suite = Suite::load();
    assert_eq!(suite.max_age_ms, contract::MAX_AGE_MS);
    let tokens: Vec<(&str, &str)> = suite
        .tokens
        .iter()
        .map(|t| (t.key.as_str(), t.secret.as_str()))
        .collect();
    assert_eq!(tokens, TOKENS);
    let mut failures = Vec::new();
    for case in &suite.cases {
        // A harness of its own: no case is a replay of another.
        match Harness::new().run(&wrap(case)) {
            Ok(verdict)
                if verdict.status == case.expect_status
                    && verdict.ran == case.expect_events.len() => {}
            Ok(verdict) => failures.push(format!(
                "{}: came to {verdict:?}, want status {} and {} events",
                case.name,
                case.expect_status,
                case.expect_events.len()
            )),
            Err(violation) => failures.push(format!("{}: {violation}", case.name)),
        }
    }
    assert_eq!(suite.cases.len(), 33);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// One of each refusal kind (a new kind in pwh-core must be added here and to the contract).
fn refusal_kinds() -> Vec<Rejection> {
    vec![
        Rejection::MethodNotAllowed {
            method: "GET".into(),
        },
        Rejection::PayloadTooLarge { limit: 64 },
        Rejection::MissingKey,
        Rejection::UnknownKey,
        Rejection::MissingSignature,
        Rejection::MalformedSignature { reason: "short" },
        Rejection::SignatureMismatch,
        Rejection::Stale {
            age_ms: 2,
            max_age_ms: 1,
        },
        Rejection::FromTheFuture {
            ahead_ms: 2,
            max_age_ms: 1,
        },
        Rejection::Malformed {
            reason: "not JSON".into(),
        },
        Rejection::unreadable_body("reset"),
        Rejection::NotConfigured,
    ]
}

/// The labels `Rejection::label` gives, read from pwh-core's source: `Rejection` is
/// `#[non_exhaustive]`, so only the fuzz target (nightly) can match it exhaustively; this
/// catches a new kind on stable.
fn labels_in_pwh_core() -> BTreeSet<String> {
    let source = include_str!("../../pwh-core/src/rejection.rs");
    let body = source
        .split_once("pub fn label(&self)")
        .and_then(|(_, rest)| rest.split_once("\n    }\n"))
        .map(|(body, _)| body)
        .expect("Rejection::label in pwh-core/src/rejection.rs");
    body.lines()
        .filter_map(|line| line.split_once("=> \"")?.1.split_once('"'))
        .map(|(label, _)| label.to_owned())
        .collect()
}

#[test]
fn every_refusal_kind_of_pwh_core_has_the_status_the_contract_gives_it() {
    let kinds = refusal_kinds();
    let labels: BTreeSet<String> = kinds.iter().map(|r| r.label().to_owned()).collect();
    assert_eq!(labels.len(), kinds.len(), "one of each kind");
    assert_eq!(
        labels,
        labels_in_pwh_core(),
        "the refusal kinds of pwh-core are not those the fuzz contract knows"
    );
    for rejection in &kinds {
        assert_eq!(
            contract::contract_status(rejection),
            Ok(rejection.status().as_u16()),
            "{}",
            rejection.label()
        );
    }
}
