//! `pwh replay`: POST a saved body again, as it was (a redelivery) or with a fresh `time_ms`
//! (a new delivery).

use std::process::ExitCode;

use pwh_core::adapter::{KEY_HEADER, SIGNATURE_HEADER};
use serde_json::Value;

use crate::body::{self, Event};
use crate::cli::ReplayArgs;
use crate::error::Failure;
use crate::input::{now_ms, read_body};
use crate::{credentials, http, sign};

/// The default max age of a pwh endpoint, for the note on stale bodies.
const DEFAULT_MAX_AGE_MS: u64 = 10 * 60 * 1000;

/// Runs `pwh replay`.
pub(crate) fn run(args: &ReplayArgs) -> Result<ExitCode, Failure> {
    let saved = read_body(&args.file)?;
    if args.fresh {
        let body = refresh(&saved, now_ms())?;
        let token = credentials::signing_token(&args.credentials)?;
        return http::send(&args.target, &sign::headers(&token, &body), &body);
    }
    if let Some(age) = age_ms(&saved, now_ms()).filter(|age| *age > DEFAULT_MAX_AGE_MS) {
        eprintln!(
            "note: this body's time_ms is {} min old: an endpoint with the default max age \
             (10 min) refuses it with 401; --fresh sends it as a new delivery",
            age / 60_000
        );
    }
    let headers = match &args.signature {
        Some(signature) => {
            let key = match &args.credentials.key {
                Some(key) => key.trim().to_owned(),
                None => credentials::signing_token(&args.credentials)?
                    .key()
                    .to_owned(),
            };
            vec![
                (KEY_HEADER, key),
                (SIGNATURE_HEADER, signature.trim().to_owned()),
            ]
        }
        None => sign::headers(&credentials::signing_token(&args.credentials)?, &saved).to_vec(),
    };
    http::send(&args.target, &headers, &saved)
}

/// `saved` with `time_ms` set to `now_ms`: time_ms first, then the events, each name first.
/// A body of another shape keeps its members, re-serialised.
fn refresh(saved: &[u8], now_ms: u64) -> Result<Vec<u8>, Failure> {
    let mut value: Value = serde_json::from_slice(saved).map_err(|e| {
        Failure::new(format!(
            "the saved body is not JSON ({e}): --fresh cannot set its time_ms"
        ))
    })?;
    let Some(webhook) = value.as_object_mut() else {
        return Err(Failure::new(
            "the saved body is not a JSON object: --fresh cannot set its time_ms",
        ));
    };
    if webhook.len() == 2 && webhook.contains_key("time_ms") {
        if let Some(Value::Array(events)) = webhook.get("events") {
            if let Ok(events) = events_of(events) {
                return Ok(body::webhook(now_ms, &events));
            }
        }
    }
    webhook.insert("time_ms".to_owned(), now_ms.into());
    Ok(value.to_string().into_bytes())
}

fn events_of(events: &[Value]) -> Result<Vec<Event>, Failure> {
    body::batch(Value::Array(events.to_vec()).to_string().as_bytes())
}

/// How old the saved body is, if it has a readable `time_ms`.
fn age_ms(saved: &[u8], now_ms: u64) -> Option<u64> {
    let value: Value = serde_json::from_slice(saved).ok()?;
    now_ms.checked_sub(value.get("time_ms")?.as_u64()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_sets_time_ms_and_keeps_the_events() {
        let saved = br#"{"events":[{"channel":"news","name":"channel_occupied"}],"time_ms":1}"#;
        assert_eq!(
            refresh(saved, 99).unwrap(),
            br#"{"time_ms":99,"events":[{"name":"channel_occupied","channel":"news"}]}"#
        );
    }

    #[test]
    fn fresh_keeps_a_body_of_another_shape() {
        let saved = br#"{"time_ms":1,"events":[3],"extra":true}"#;
        let value: Value = serde_json::from_slice(&refresh(saved, 5).unwrap()).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"time_ms": 5, "events": [3], "extra": true})
        );
        assert!(refresh(b"not json", 5).is_err());
        assert!(refresh(b"[1]", 5).is_err());
    }

    #[test]
    fn the_age_of_a_saved_body() {
        assert_eq!(
            age_ms(br#"{"time_ms":1000,"events":[]}"#, 61_000),
            Some(60_000)
        );
        assert_eq!(age_ms(b"{}", 5), None);
        assert_eq!(age_ms(br#"{"time_ms":9}"#, 5), None);
    }
}
