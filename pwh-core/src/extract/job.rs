//! `Job` as a handler parameter.

use super::{ExtractError, FromEvent};
use crate::context::EventContext;
use crate::jobs::Job;

impl<'r> FromEvent<'r> for Job {
    fn from_event(cx: &EventContext<'r>, _: &'static str) -> Result<Self, ExtractError> {
        cx.job.cloned().ok_or(ExtractError::NotDeferred)
    }
}
