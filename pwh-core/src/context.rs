//! What a handler is given: one event, its webhook, and the dispatcher's state.

use crate::event::Event;
use crate::jobs::Job;
use crate::webhook::Webhook;

/// One event being handed to a handler, with its webhook and the dispatcher's state.
///
/// Extractors ([`FromEvent`](crate::FromEvent)) read handler parameters from it.
#[derive(Debug, Clone, Copy)]
pub struct EventContext<'r> {
    pub(crate) webhook: &'r Webhook<'r>,
    pub(crate) event: &'r Event<'r>,
    pub(crate) index: usize,
    pub(crate) key: &'r str,
    pub(crate) state: &'r http::Extensions,
    /// The job, for a deferred handler's run.
    pub(crate) job: Option<&'r Job>,
}

impl<'r> EventContext<'r> {
    /// The event.
    pub fn event(&self) -> &'r Event<'r> {
        self.event
    }

    /// The webhook the event came in.
    pub fn webhook(&self) -> &'r Webhook<'r> {
        self.webhook
    }

    /// The event's position in the webhook body, from 0.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The key of the token that signed the webhook.
    pub fn key(&self) -> &'r str {
        self.key
    }

    /// The job, when a deferred handler runs (`None` while Pusher waits).
    pub fn job(&self) -> Option<&'r Job> {
        self.job
    }
}
