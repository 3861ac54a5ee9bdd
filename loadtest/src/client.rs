//! The sender: keep-alive HTTP/1.1 connections (hyper's connection-level client), each worker
//! sending webhook after webhook on its own connection, retrying like Pusher does.

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::bodies::Delivery;

/// The webhook path of the example apps.
pub(crate) const PATH: &str = "/pusher/webhooks";

/// How long one request may take before the connection is dropped and the webhook retried.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// One keep-alive connection to the app.
pub(crate) struct Connection {
    addr: SocketAddr,
    sender: SendRequest<Full<Bytes>>,
}

impl Connection {
    /// Opens a connection to `addr`.
    ///
    /// # Errors
    ///
    /// When the app cannot be reached.
    pub(crate) async fn open(addr: SocketAddr) -> io::Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(io::Error::other)?;
        // Drives the connection; ends when `sender` is dropped or the server closes it.
        tokio::spawn(connection);
        Ok(Self { addr, sender })
    }

    /// Sends one request and reads the whole answer: its status and body.
    ///
    /// # Errors
    ///
    /// A broken connection, a time-out or an answer that is not HTTP; the connection is then
    /// unusable.
    pub(crate) async fn send(
        &mut self,
        method: http::Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> io::Result<(u16, Bytes)> {
        let mut request = http::Request::builder()
            .method(method)
            .uri(path)
            .header(http::header::HOST, self.addr.to_string());
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request.body(Full::new(body)).map_err(io::Error::other)?;
        let exchange = async {
            self.sender.ready().await.map_err(io::Error::other)?;
            let response = self
                .sender
                .send_request(request)
                .await
                .map_err(io::Error::other)?;
            let status = response.status().as_u16();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(io::Error::other)?
                .to_bytes();
            Ok((status, body))
        };
        tokio::time::timeout(REQUEST_TIMEOUT, exchange)
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no answer within 10 s"))?
    }
}

/// One `GET` on a fresh connection.
///
/// # Errors
///
/// As [`Connection::send`].
pub(crate) async fn get(addr: SocketAddr, path: &str) -> io::Result<(u16, Bytes)> {
    Connection::open(addr)
        .await?
        .send(http::Method::GET, path, &[], Bytes::new())
        .await
}

/// How the workers send.
#[derive(Debug, Clone)]
pub(crate) struct Sending {
    /// The token key, for `X-Pusher-Key`.
    pub(crate) key: String,
    /// Whether a 500 is retried with the same body (Pusher's behaviour; the failure mode).
    pub(crate) retry_500: bool,
    /// Retries of one webhook at most.
    pub(crate) retries: u32,
}

/// What the workers saw.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    /// HTTP requests answered, retries included.
    pub(crate) requests: u64,
    /// Answers by status, retries included.
    pub(crate) statuses: BTreeMap<u16, u64>,
    /// Webhooks whose last answer was 2xx.
    pub(crate) delivered: u64,
    /// Webhooks whose last answer was not 2xx (after any retries), or that got no answer.
    pub(crate) undelivered: u64,
    /// Requests sent again (after a 500 or a broken connection).
    pub(crate) retries: u64,
    /// Broken connections, time-outs and other transport failures.
    pub(crate) transport_errors: u64,
    /// The last transport error, to show.
    pub(crate) last_transport_error: Option<String>,
    /// The latency of every answered request, in microseconds.
    pub(crate) latencies_us: Vec<u64>,
}

impl Tally {
    pub(crate) fn merge(&mut self, other: Self) {
        self.requests += other.requests;
        for (status, n) in other.statuses {
            *self.statuses.entry(status).or_default() += n;
        }
        self.delivered += other.delivered;
        self.undelivered += other.undelivered;
        self.retries += other.retries;
        self.transport_errors += other.transport_errors;
        if other.last_transport_error.is_some() {
            self.last_transport_error = other.last_transport_error;
        }
        self.latencies_us.extend(other.latencies_us);
    }

    /// Answers whose status was not 2xx, retries included.
    pub(crate) fn non_2xx(&self) -> u64 {
        self.statuses
            .iter()
            .filter(|(s, _)| !(200..300).contains(*s))
            .map(|(_, n)| n)
            .sum()
    }

    /// Answers with this status.
    pub(crate) fn count(&self, status: u16) -> u64 {
        self.statuses.get(&status).copied().unwrap_or(0)
    }
}

/// Sends every delivery once (plus retries) over `concurrency` connections to `addr`.
pub(crate) async fn send_all(
    addr: SocketAddr,
    deliveries: Arc<[Delivery]>,
    concurrency: usize,
    sending: Sending,
) -> Tally {
    let next = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            tokio::spawn(worker(
                addr,
                Arc::clone(&deliveries),
                Arc::clone(&next),
                sending.clone(),
            ))
        })
        .collect();
    let mut tally = Tally::default();
    for worker in workers {
        match worker.await {
            Ok(t) => tally.merge(t),
            Err(e) => {
                tally.transport_errors += 1;
                tally.last_transport_error = Some(format!("a worker died: {e}"));
            }
        }
    }
    // Webhooks no worker got to (only if workers died).
    let attempted = tally.delivered + tally.undelivered;
    tally.undelivered += (deliveries.len() as u64).saturating_sub(attempted);
    tally
}

/// The backoff before retry `attempt` (1-based): 10 ms, doubling, at most 1 s.
pub(crate) fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(10u64.saturating_mul(1 << attempt.saturating_sub(1).min(7)))
        .min(Duration::from_secs(1))
}

/// Counts retry `attempt + 1` and waits its backoff; `false` once `retries` are used up, the
/// webhook then counting as undelivered.
async fn retry(attempt: &mut u32, tally: &mut Tally, retries: u32) -> bool {
    if *attempt >= retries {
        tally.undelivered += 1;
        return false;
    }
    *attempt += 1;
    tally.retries += 1;
    tokio::time::sleep(backoff(*attempt)).await;
    true
}

async fn worker(
    addr: SocketAddr,
    deliveries: Arc<[Delivery]>,
    next: Arc<AtomicUsize>,
    sending: Sending,
) -> Tally {
    let mut tally = Tally::default();
    let mut connection: Option<Connection> = None;
    loop {
        let index = next.fetch_add(1, Ordering::Relaxed);
        let Some(delivery) = deliveries.get(index) else {
            break;
        };
        let headers = [
            ("content-type", "application/json"),
            ("x-pusher-key", sending.key.as_str()),
            ("x-pusher-signature", delivery.signature.as_str()),
        ];
        let mut attempt = 0;
        loop {
            let conn = match connection.as_mut() {
                Some(conn) => conn,
                None => match Connection::open(addr).await {
                    Ok(conn) => connection.insert(conn),
                    Err(e) => {
                        tally.transport_errors += 1;
                        tally.last_transport_error = Some(format!("connect: {e}"));
                        if retry(&mut attempt, &mut tally, sending.retries).await {
                            continue;
                        }
                        break;
                    }
                },
            };
            let started = Instant::now();
            // Same bytes, same signature on every delivery (a cheap clone of `Bytes`).
            let result = conn
                .send(http::Method::POST, PATH, &headers, delivery.body.clone())
                .await;
            match result {
                Ok((status, _)) => {
                    tally
                        .latencies_us
                        .push(started.elapsed().as_micros() as u64);
                    tally.requests += 1;
                    *tally.statuses.entry(status).or_default() += 1;
                    if (200..300).contains(&status) {
                        tally.delivered += 1;
                        break;
                    }
                    let retries = if status == 500 && sending.retry_500 {
                        sending.retries
                    } else {
                        0
                    };
                    if retry(&mut attempt, &mut tally, retries).await {
                        continue;
                    }
                    break;
                }
                Err(e) => {
                    // Whether the app handled it is unknown: Pusher sends the same body again,
                    // and so do we (the app's delivery memory makes that safe).
                    connection = None;
                    tally.transport_errors += 1;
                    tally.last_transport_error = Some(e.to_string());
                    if retry(&mut attempt, &mut tally, sending.retries).await {
                        continue;
                    }
                    break;
                }
            }
        }
    }
    tally
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_bounded() {
        assert_eq!(backoff(1), Duration::from_millis(10));
        assert_eq!(backoff(2), Duration::from_millis(20));
        assert_eq!(backoff(5), Duration::from_millis(160));
        assert_eq!(backoff(50), Duration::from_secs(1));
    }

    #[test]
    fn tally_counts_non_2xx() {
        let mut a = Tally::default();
        a.statuses.insert(200, 5);
        a.statuses.insert(500, 2);
        let mut b = Tally::default();
        b.statuses.insert(401, 1);
        b.statuses.insert(200, 1);
        a.merge(b);
        assert_eq!(a.non_2xx(), 3);
        assert_eq!(a.count(200), 6);
        assert_eq!(a.count(404), 0);
    }
}
