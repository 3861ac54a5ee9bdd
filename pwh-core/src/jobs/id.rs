//! [`JobId`]: names one deferred job, the same on every delivery of its body.

use std::fmt;
use std::str::FromStr;

use crate::delivery::DeliveryId;

/// Names one job: a deferred handler on one event of one body. A 128-bit hash (XXH3) of the
/// body's [`DeliveryId`], the event's index in the body and the handler's job name, so
/// every delivery of the body, on any instance, names the same job (enqueueing it again
/// changes nothing), and it is the job's idempotency key for the systems its handler calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobId(pub [u8; 16]);

impl JobId {
    /// The job of the handler named `handler` on event `index` of the body `delivery`.
    pub fn of(delivery: &DeliveryId, index: usize, handler: &str) -> Self {
        let index = u64::try_from(index).unwrap_or(u64::MAX);
        let mut bytes = Vec::with_capacity(16 + 8 + handler.len());
        bytes.extend_from_slice(&delivery.0);
        bytes.extend_from_slice(&index.to_le_bytes());
        bytes.extend_from_slice(handler.as_bytes());
        Self(xxhash_rust::xxh3::xxh3_128(&bytes).to_le_bytes())
    }
}

impl fmt::Display for JobId {
    /// 32 lowercase hex digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

/// Why a text is not a [`JobId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a job id is 32 hex digits, got {0:?}")]
pub struct ParseJobIdError(String);

impl FromStr for JobId {
    type Err = ParseJobIdError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wrong = || ParseJobIdError(text.chars().take(40).collect());
        let bytes = hex::decode(text.trim()).map_err(|_| wrong())?;
        Ok(Self(bytes.try_into().map_err(|_| wrong())?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_job_per_body_event_and_handler_written_as_hex() {
        let body = DeliveryId::of("", br#"{"time_ms":1,"events":[]}"#);
        let id = JobId::of(&body, 0, "app::welcome");
        assert_eq!(id, JobId::of(&body, 0, "app::welcome"));
        assert_ne!(id, JobId::of(&body, 1, "app::welcome"));
        assert_ne!(id, JobId::of(&body, 0, "app::other"));
        assert_ne!(
            id,
            JobId::of(&DeliveryId::of("b", b"{}"), 0, "app::welcome")
        );
        let text = id.to_string();
        assert_eq!(text.len(), 32);
        assert_eq!(text.parse::<JobId>(), Ok(id));
        assert!("xyz".parse::<JobId>().is_err());
        assert!("abcd".parse::<JobId>().is_err());
    }
}
