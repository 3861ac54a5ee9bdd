//! Sending: every body to both instances, retried with backoff until one accepts it.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::bodies::Delivery;
use crate::client::{backoff, Connection, Tally, PATH};
use crate::ledger::INSTANCES;

/// The instance killed in [`Scenario::Kill`](crate::cli::Scenario::Kill) (the second one).
pub(super) const VICTIM: usize = 1;

/// What happened to one body.
#[derive(Debug, Default, Clone)]
pub(crate) struct Trace {
    /// When an instance first answered it 2xx.
    pub(crate) accepted_at: Option<Instant>,
    /// When it was first answered 500.
    pub(crate) first_500: Option<Instant>,
    /// Instances that got it and never answered (broken connection, time-out).
    pub(crate) unanswered_by: [bool; INSTANCES],
}

/// What the sender shares with its workers and the scenario's controller.
pub(super) struct Shared {
    pub(super) addrs: [SocketAddr; INSTANCES],
    pub(super) alive: [AtomicBool; INSTANCES],
    pub(super) deliveries: Arc<[Delivery]>,
    pub(super) next: AtomicUsize,
    pub(super) deadline: Instant,
    pub(super) key: String,
}

impl Shared {
    pub(super) fn alive(&self) -> Vec<usize> {
        (0..INSTANCES)
            .filter(|i| self.alive[*i].load(Ordering::Relaxed))
            .collect()
    }

    /// Bodies taken by workers so far.
    pub(super) fn taken(&self) -> usize {
        self.next.load(Ordering::Relaxed).min(self.deliveries.len())
    }

    /// Waits until `count` bodies were taken (or the deadline passed).
    pub(super) async fn wait_taken(&self, count: usize) {
        while self.taken() < count && Instant::now() < self.deadline {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
}

/// What the workers saw.
#[derive(Debug, Default)]
pub(super) struct Sent {
    pub(super) tally: Tally,
    pub(super) by_instance: [u64; INSTANCES],
    pub(super) traces: Vec<Trace>,
}

/// A small per-worker generator (xorshift64*), to pick the instance of a retry.
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n.max(1)
    }
}

/// One POST of `delivery` over `slot` (opened if needed; dropped when it breaks): the status,
/// or why there was none, and the latency of an answer.
pub(super) async fn exchange(
    slot: &mut Option<Connection>,
    addr: SocketAddr,
    delivery: &Delivery,
    key: &str,
) -> Result<(u16, Duration), String> {
    let conn = match slot {
        Some(conn) => conn,
        None => slot.insert(
            Connection::open(addr)
                .await
                .map_err(|e| format!("connect: {e}"))?,
        ),
    };
    let headers = [
        ("content-type", "application/json"),
        ("x-pusher-key", key),
        ("x-pusher-signature", delivery.signature.as_str()),
    ];
    let started = Instant::now();
    match conn
        .send(http::Method::POST, PATH, &headers, delivery.body.clone())
        .await
    {
        Ok((status, _)) => Ok((status, started.elapsed())),
        Err(e) => {
            *slot = None;
            Err(e.to_string())
        }
    }
}

/// Whether a body answered `status` is sent again: Pusher retries any failure; here only the
/// ones the app gives on purpose (500: a handler failed or the body was busy elsewhere; 503: no
/// memory). Anything else is a bug the run should show, not hide.
pub(super) fn retried(status: u16) -> bool {
    status == 500 || status == 503
}

impl Sent {
    pub(super) fn record(
        &mut self,
        instance: usize,
        answer: Result<(u16, Duration), String>,
        trace: &mut Trace,
    ) -> bool {
        match answer {
            Ok((status, latency)) => {
                self.tally.requests += 1;
                self.by_instance[instance] += 1;
                *self.tally.statuses.entry(status).or_default() += 1;
                self.tally.latencies_us.push(latency.as_micros() as u64);
                if (200..300).contains(&status) {
                    trace.accepted_at.get_or_insert_with(Instant::now);
                } else if status == 500 {
                    trace.first_500.get_or_insert_with(Instant::now);
                }
                retried(status)
            }
            Err(e) => {
                self.tally.transport_errors += 1;
                self.tally.last_transport_error = Some(e);
                trace.unanswered_by[instance] = true;
                true
            }
        }
    }
}

pub(super) async fn worker(shared: Arc<Shared>, seed: u64) -> (Sent, Vec<(usize, Trace)>) {
    let mut sent = Sent::default();
    let mut traces = Vec::new();
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let [mut first, mut second]: [Option<Connection>; INSTANCES] = [None, None];
    let [a, b] = shared.addrs;
    loop {
        if Instant::now() >= shared.deadline {
            break;
        }
        let index = shared.next.fetch_add(1, Ordering::Relaxed);
        let Some(delivery) = shared.deliveries.get(index) else {
            break;
        };
        let key = shared.key.as_str();
        let mut trace = Trace::default();
        // Every body to every live instance at once.
        let alive = shared.alive();
        let mut again = match alive.as_slice() {
            [0, 1] => {
                let (x, y) = tokio::join!(
                    exchange(&mut first, a, delivery, key),
                    exchange(&mut second, b, delivery, key)
                );
                let x = sent.record(0, x, &mut trace);
                let y = sent.record(1, y, &mut trace);
                x || y
            }
            [0] => sent.record(0, exchange(&mut first, a, delivery, key).await, &mut trace),
            [1] => sent.record(1, exchange(&mut second, b, delivery, key).await, &mut trace),
            _ => false,
        };
        // Then again, to one random live instance, until one accepts it.
        let mut attempt = 0;
        while trace.accepted_at.is_none() && again {
            attempt += 1;
            let pause = backoff(attempt);
            if Instant::now() + pause >= shared.deadline {
                break;
            }
            sent.tally.retries += 1;
            tokio::time::sleep(pause).await;
            let alive = shared.alive();
            let Some(&to) = alive.get(rng.below(alive.len())) else {
                break;
            };
            let answer = if to == 0 {
                exchange(&mut first, a, delivery, key).await
            } else {
                exchange(&mut second, b, delivery, key).await
            };
            again = sent.record(to, answer, &mut trace);
        }
        if trace.accepted_at.is_some() {
            sent.tally.delivered += 1;
        } else {
            sent.tally.undelivered += 1;
        }
        traces.push((index, trace));
    }
    (sent, traces)
}

/// Sends every body as the module says, with `concurrency` workers.
pub(super) async fn send_all(shared: Arc<Shared>, concurrency: usize) -> Sent {
    let workers: Vec<_> = (0..concurrency)
        .map(|i| tokio::spawn(worker(Arc::clone(&shared), i as u64 + 1)))
        .collect();
    let mut all = Sent {
        traces: vec![Trace::default(); shared.deliveries.len()],
        ..Sent::default()
    };
    for worker in workers {
        match worker.await {
            Ok((sent, traces)) => {
                all.tally.merge(sent.tally);
                for i in 0..INSTANCES {
                    all.by_instance[i] += sent.by_instance[i];
                }
                for (index, trace) in traces {
                    all.traces[index] = trace;
                }
            }
            Err(e) => {
                all.tally.transport_errors += 1;
                all.tally.last_transport_error = Some(format!("a worker died: {e}"));
            }
        }
    }
    // Bodies no worker took (the time limit passed first).
    let attempted = all.tally.delivered + all.tally.undelivered;
    all.tally.undelivered += (shared.deliveries.len() as u64).saturating_sub(attempted);
    all
}
