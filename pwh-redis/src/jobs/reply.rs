//! The scripts' replies read into the jobs store's types: a reply of an unexpected shape is
//! a [`StoreError`], never a panic.

use pwh_core::delivery::{LeaseToken, StoreError, StoreErrorKind};
use pwh_core::jobs::{ClaimedJob, JobId, JobInfo, JobState, NewJob};
use redis::Value;

/// The fields of one claimed job in the claim script's reply.
const CLAIMED_FIELDS: usize = 10;

pub(crate) fn unexpected(script: &str) -> StoreError {
    StoreError::new(
        StoreErrorKind::Failed,
        format_args!(
            "redis: unexpected reply to the jobs' {script} script (keys changed by hand, or \
             written by another version?)"
        ),
    )
}

fn bytes(value: &Value) -> Option<Vec<u8>> {
    match value {
        Value::BulkString(b) => Some(b.clone()),
        Value::SimpleString(s) => Some(s.clone().into_bytes()),
        Value::Int(n) => Some(n.to_string().into_bytes()),
        _ => None,
    }
}

fn text(value: &Value) -> Option<String> {
    String::from_utf8(bytes(value)?).ok()
}

fn number<T: std::str::FromStr>(value: &Value) -> Option<T> {
    text(value)?.trim().parse().ok()
}

fn optional_text(value: &Value) -> Option<Option<String>> {
    match value {
        Value::Nil => Some(None),
        other => text(other).map(Some),
    }
}

/// What a claim answered: the layout's epoch, whether a consumer group was recreated, and
/// the jobs leased.
pub(crate) struct Claimed {
    pub(crate) epoch: Option<String>,
    pub(crate) group_recreated: bool,
    pub(crate) jobs: Vec<ClaimedJob>,
}

pub(crate) fn claimed(reply: &[Value]) -> Option<Claimed> {
    let (head, rest) = reply.split_at_checked(2)?;
    let [epoch, recreated] = head else {
        return None;
    };
    if rest.len() % CLAIMED_FIELDS != 0 {
        return None;
    }
    let jobs = rest
        .chunks_exact(CLAIMED_FIELDS)
        .map(claimed_job)
        .collect::<Option<Vec<_>>>()?;
    Some(Claimed {
        epoch: optional_text(epoch)?,
        group_recreated: text(recreated)? == "1",
        jobs,
    })
}

fn claimed_job(f: &[Value]) -> Option<ClaimedJob> {
    let [id, handler, kind, payload, key, index, received, max, token, attempt] = f else {
        return None;
    };
    Some(ClaimedJob {
        job: NewJob {
            id: text(id)?.parse::<JobId>().ok()?,
            handler: text(handler)?,
            kind: text(kind)?,
            payload: bytes(payload)?,
            key: text(key)?,
            index: number(index)?,
            received_ms: number(received)?,
            max_attempts: number(max)?,
        },
        lease: LeaseToken(number(token)?),
        attempt: number(attempt)?,
    })
}

pub(crate) fn listed(reply: &[Value], with_payload: bool) -> Option<Vec<JobInfo>> {
    let width = if with_payload { 10 } else { 9 };
    if reply.len() % width != 0 {
        return None;
    }
    reply
        .chunks_exact(width)
        .map(|f| listed_job(f, with_payload))
        .collect()
}

fn listed_job(f: &[Value], with_payload: bool) -> Option<JobInfo> {
    let (id, handler, kind, state, attempts, max, received, updated, error) = match f {
        [a, b, c, d, e, g, h, i, j, ..] => (a, b, c, d, e, g, h, i, j),
        _ => return None,
    };
    let payload = if with_payload {
        match f.get(9)? {
            Value::Nil => Some(Vec::new()),
            value => Some(bytes(value)?),
        }
    } else {
        None
    };
    Some(JobInfo {
        id: text(id)?.parse::<JobId>().ok()?,
        handler: text(handler)?,
        kind: text(kind)?,
        state: JobState::from_name(&text(state)?)?,
        attempts: number(attempts)?,
        max_attempts: number(max)?,
        received_ms: number(received)?,
        updated_ms: number(updated)?,
        last_error: optional_text(error)?,
        payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(s: &str) -> Value {
        Value::BulkString(s.as_bytes().to_vec())
    }

    #[test]
    fn a_claim_reply_is_read_or_refused_whole() {
        let id = JobId([3; 16]).to_string();
        let job = [
            &id,
            "h",
            "member_added",
            "{}",
            "key",
            "2",
            "17",
            "5",
            "99",
            "1",
        ];
        let mut reply = vec![bulk("123"), bulk("0")];
        reply.extend(job.iter().map(|s| bulk(s)));
        let read = claimed(&reply).expect("read");
        assert_eq!(read.epoch.as_deref(), Some("123"));
        assert!(!read.group_recreated);
        let [one] = &read.jobs[..] else {
            panic!("one job")
        };
        assert_eq!((one.lease, one.attempt), (LeaseToken(99), 1));
        assert_eq!((one.job.index, one.job.received_ms), (2, 17));
        assert!(claimed(&reply[..5]).is_none(), "a truncated reply");
        reply[2] = bulk("not an id");
        assert!(claimed(&reply).is_none(), "a bad id");
        assert!(claimed(&[]).is_none());
    }

    #[test]
    fn a_list_reply_reads_missing_errors_and_payloads() {
        let id = JobId([4; 16]).to_string();
        let mut reply: Vec<Value> = [&id, "h", "k", "dead", "2", "3", "1", "5"]
            .iter()
            .map(|s| bulk(s))
            .collect();
        reply.push(Value::Nil);
        let read = listed(&reply, false).expect("read");
        assert_eq!(read[0].state, JobState::Dead);
        assert_eq!(
            (read[0].last_error.as_ref(), read[0].payload.as_ref()),
            (None, None)
        );
        reply.push(bulk("body"));
        assert!(listed(&reply, false).is_none(), "payload not asked for");
        let read = listed(&reply, true).expect("read");
        assert_eq!(read[0].payload.as_deref(), Some(&b"body"[..]));
        reply[3] = bulk("sleeping");
        assert!(listed(&reply, true).is_none(), "an unknown state");
    }
}
