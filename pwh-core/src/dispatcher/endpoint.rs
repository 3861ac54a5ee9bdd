//! The adapter's view of a dispatcher: what adapters check and refuse around reading the
//! body, logged as the dispatcher logs.

use std::time::Duration;

use super::check::log_rejection;
use super::Dispatcher;
use crate::headers::{Headers, KEY};
use crate::rejection::Rejection;
use crate::response::WebhookResponse;

/// A [`Dispatcher`] seen by a framework adapter: check a request before reading its body,
/// read it with the framework's limited reader, refuse what cannot be handed over, and
/// handle what was read, each refusal logged once as the dispatcher logs its own.
///
/// Handler authors never need it; an adapter makes one per request (it is a reference).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// use pwh_core::adapter::{Endpoint, Rejection};
/// use pwh_core::{Dispatcher, KeyRing, Token};
///
/// let dispatcher = Dispatcher::builder(KeyRing::new([Token::new("k", "s")])).body_limit(4).build();
/// let endpoint = Endpoint::new(&dispatcher);
/// let read = |limit: usize| async move {
///     let bytes = b"0123456789";
///     Ok::<_, std::io::Error>((bytes.len() <= limit).then(|| bytes.to_vec()))
/// };
/// let body = endpoint.read_body_with("POST", &[("x-pusher-key", "k")], 4, read).await;
/// assert_eq!(body, Err(Rejection::PayloadTooLarge { limit: 4 }));
/// assert_eq!(endpoint.handle_read("POST", &[("x-pusher-key", "k")], body).await.status(), 413);
/// # });
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Endpoint<'d> {
    dispatcher: &'d Dispatcher,
}

impl<'d> Endpoint<'d> {
    /// The adapter's view of `dispatcher`.
    pub fn new(dispatcher: &'d Dispatcher) -> Self {
        Self { dispatcher }
    }

    /// The dispatcher.
    pub fn dispatcher(&self) -> &'d Dispatcher {
        self.dispatcher
    }

    /// The body size limit, in bytes: read at most this much.
    pub fn body_limit(&self) -> usize {
        self.dispatcher.body_limit()
    }

    /// Checks what an adapter can check before reading the body: the method (405, and the
    /// body need not be read at all) and a `Content-Length` over `limit` (413, before reading
    /// a byte). `limit` is what the adapter reads up to: [`body_limit`](Self::body_limit), or
    /// less when the framework's own configuration says so.
    ///
    /// An adapter calls it, reads at most `limit` bytes with its framework's limited reader,
    /// refuses what that reader refuses with [`refuse`](Self::refuse), and hands the body to
    /// [`Dispatcher::handle`] or [`Dispatcher::verify`].
    ///
    /// # Errors
    ///
    /// [`Rejection::MethodNotAllowed`] or [`Rejection::PayloadTooLarge`], logged at `warn`.
    pub fn precheck<H>(&self, method: &str, headers: &H, limit: usize) -> Result<(), Rejection>
    where
        H: Headers + ?Sized,
    {
        let rejection = if method != "POST" {
            Rejection::MethodNotAllowed {
                method: method.chars().take(16).collect(),
            }
        } else if declared_length(headers)
            .is_some_and(|n| n > u64::try_from(limit).unwrap_or(u64::MAX))
        {
            Rejection::PayloadTooLarge { limit }
        } else {
            return Ok(());
        };
        Err(self.refuse(headers, rejection))
    }

    /// Reads a body with a framework's own limited reader, if [`precheck`](Self::precheck)
    /// lets it be read: `read(limit)` reads at most `limit` bytes and yields the whole body,
    /// `None` when there was more, or the framework's error when the body failed to arrive.
    /// The refusals (405, 413, 400) are [logged](Self::refuse) once.
    ///
    ///
    /// # Errors
    ///
    /// The [`Rejection`] when the body is not read whole.
    pub async fn read_body_with<H, F, Fut, B, E>(
        self,
        method: &str,
        headers: &H,
        limit: usize,
        read: F,
    ) -> Result<B, Rejection>
    where
        H: Headers + ?Sized,
        F: FnOnce(usize) -> Fut,
        Fut: std::future::Future<Output = Result<Option<B>, E>>,
        E: std::fmt::Display,
    {
        self.precheck(method, headers, limit)?;
        let rejection = match read(limit).await {
            Ok(Some(body)) => return Ok(body),
            Ok(None) => Rejection::PayloadTooLarge { limit },
            Err(error) => Rejection::unreadable_body(error),
        };
        Err(self.refuse(headers, rejection))
    }

    /// Handles a request whose body an adapter read with [`read_body_with`](Self::read_body_with):
    /// [`handle`](Dispatcher::handle)s the body, or answers the refusal.
    pub async fn handle_read<H, B>(
        self,
        method: &str,
        headers: &H,
        body: Result<B, Rejection>,
    ) -> WebhookResponse
    where
        H: Headers + Sync + ?Sized,
        B: AsRef<[u8]>,
    {
        match body {
            Ok(body) => self.dispatcher.handle(method, headers, body.as_ref()).await,
            Err(rejection) => WebhookResponse::from(rejection),
        }
    }

    /// Refuses a request that an adapter cannot hand over: a body found over the limit while
    /// reading it ([`Rejection::PayloadTooLarge`]), a body that failed to arrive
    /// ([`Rejection::unreadable_body`]), no dispatcher found ([`Rejection::NotConfigured`]).
    /// Logs it as the dispatcher logs its own refusals (one `warn` line with the status, the
    /// reason and the key) and returns it, to answer with
    /// [`WebhookResponse::from`](WebhookResponse#impl-From<Rejection>-for-WebhookResponse).
    pub fn refuse<H>(&self, headers: &H, rejection: Rejection) -> Rejection
    where
        H: Headers + ?Sized,
    {
        if let Rejection::UnreadableBody { cause } = &rejection {
            tracing::debug!(%cause, "a Pusher webhook's body failed to arrive");
        }
        log_rejection(&rejection, headers.header(KEY));
        if self.dispatcher.inner.observed() {
            let response = WebhookResponse::from(rejection.clone());
            crate::observe::answered(
                self.dispatcher.inner.on_outcome.as_ref(),
                &response,
                Duration::ZERO,
            );
        }
        rejection
    }
}

/// The `Content-Length` the client announced, if it is a number.
fn declared_length<H: Headers + ?Sized>(headers: &H) -> Option<u64> {
    headers.header("content-length")?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keyring::KeyRing;
    use crate::token::Token;

    fn dispatcher() -> Dispatcher {
        Dispatcher::builder(KeyRing::new([Token::new("k", "s")]))
            .registered_handlers(false)
            .build()
    }

    fn endpoint(dispatcher: &Dispatcher) -> Endpoint<'_> {
        Endpoint::new(dispatcher)
    }

    #[test]
    fn other_methods_and_declared_lengths_over_the_limit_are_refused_before_reading() {
        let d = dispatcher();
        let d = endpoint(&d);
        assert_eq!(d.precheck("POST", &[("content-length", "10")], 10), Ok(()));
        assert_eq!(d.precheck("POST", &[("x-pusher-key", "k")], 10), Ok(()));
        assert_eq!(
            d.precheck("POST", &[("Content-Length", " 11 ")], 10),
            Err(Rejection::PayloadTooLarge { limit: 10 })
        );
        assert_eq!(
            d.precheck("GET", &[("content-length", "11")], 10),
            Err(Rejection::MethodNotAllowed {
                method: "GET".into()
            })
        );
        // A length that is not a number is left to the reader.
        assert_eq!(d.precheck("POST", &[("content-length", "abc")], 10), Ok(()));
    }

    #[test]
    fn refusals_come_back_as_given() {
        let rejection = Rejection::unreadable_body("connection reset");
        assert_eq!(
            endpoint(&dispatcher()).refuse(&[("x-pusher-key", "k")], rejection.clone()),
            rejection
        );
        assert_eq!(rejection.to_string(), "could not read the request body");
        assert_eq!(rejection.status(), 400);
    }
}
