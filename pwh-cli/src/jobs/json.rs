//! Jobs as JSON, for scripts: one array, a job per object.

use pwh_core::jobs::JobInfo;
use serde_json::{json, Value};

/// `jobs` as a JSON array of objects (`id`, `handler`, `kind`, `state`, `attempts`,
/// `max_attempts`, `received_ms`, `updated_ms`, `last_error`, and `payload` when asked for:
/// the event as JSON, or as a string when it is not JSON).
pub(crate) fn render(jobs: &[JobInfo], with_payload: bool) -> String {
    let jobs: Vec<Value> = jobs
        .iter()
        .map(|job| {
            let mut object = json!({
                "id": job.id.to_string(),
                "handler": job.handler,
                "kind": job.kind,
                "state": job.state.as_str(),
                "attempts": job.attempts,
                "max_attempts": job.max_attempts,
                "received_ms": job.received_ms,
                "updated_ms": job.updated_ms,
                "last_error": job.last_error,
            });
            if let (true, Some(payload), Some(fields)) =
                (with_payload, &job.payload, object.as_object_mut())
            {
                let value = serde_json::from_slice(payload).unwrap_or_else(|_| {
                    Value::String(String::from_utf8_lossy(payload).into_owned())
                });
                fields.insert("payload".to_owned(), value);
            }
            object
        })
        .collect();
    let mut text = Value::Array(jobs).to_string();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use pwh_core::jobs::{JobId, JobState};

    use super::*;

    #[test]
    fn every_field_and_the_payload_only_when_asked() {
        let job = JobInfo {
            id: JobId([1; 16]),
            handler: "h".to_owned(),
            kind: "cache_miss".to_owned(),
            state: JobState::Pending,
            attempts: 1,
            max_attempts: 3,
            received_ms: 5,
            updated_ms: 6,
            last_error: Some("boom".to_owned()),
            payload: Some(br#"{"time_ms":5,"events":[]}"#.to_vec()),
        };
        let without: Value =
            serde_json::from_str(&render(std::slice::from_ref(&job), false)).unwrap();
        assert_eq!(without[0]["id"], "01".repeat(16));
        assert_eq!(without[0]["state"], "pending");
        assert_eq!(without[0]["last_error"], "boom");
        assert!(without[0].get("payload").is_none());
        let with: Value = serde_json::from_str(&render(&[job], true)).unwrap();
        assert_eq!(with[0]["payload"]["time_ms"], 5);
    }
}
