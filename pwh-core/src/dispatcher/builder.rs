//! The dispatcher's builder: keys, handlers, state, limits and the delivery log.

use std::any::TypeId;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use super::check::Limits;
use super::{millis, Dispatcher, HandlerRef, Inner, JobSlot, Slot};
use crate::clock::{Clock, SystemClock};
use crate::delivery::{DeliveryLog, Memory, MemoryLog};
use crate::handler::{EventHandler, HandlerInfo};
use crate::jobs::{JobStore, MemoryJobs};
use crate::keyring::KeyRing;
use crate::observe::OutcomeHook;
use crate::outcome::Name;

use crate::response::WebhookResponse;
use crate::routes::Routes;

/// Configures a [`Dispatcher`]; start with [`Dispatcher::builder`].
#[must_use]
pub struct DispatcherBuilder {
    keys: KeyRing,
    registered: bool,
    added: Vec<Box<dyn EventHandler>>,
    state: http::Extensions,
    clock: Box<dyn Clock>,
    max_age: Option<Duration>,
    body_limit: usize,
    deadline: Option<Duration>,
    log: Option<Arc<dyn DeliveryLog>>,
    /// The delivery log's type, for the start-up line.
    log_name: &'static str,
    /// The job store and its type, for the start-up line.
    jobs: Option<(Arc<dyn JobStore>, &'static str)>,
    retention: Duration,
    fail_open: bool,
    /// The state types given to [`state`](Self::state).
    provided: HashSet<TypeId>,
    on_outcome: Option<OutcomeHook>,
}

/// Why [`DispatcherBuilder::try_build`] could not build a dispatcher.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// Handlers take `Shared<T>` (or `&Shared<T>`) for state never given to
    /// [`DispatcherBuilder::state`]: each `(handler, type)`.
    #[error("{}", missing_state(.0))]
    MissingState(Vec<(String, &'static str)>),
}

fn missing_state(missing: &[(String, &'static str)]) -> String {
    let list: Vec<String> = missing
        .iter()
        .map(|(handler, ty)| format!("`{handler}` takes `Shared<{ty}>`"))
        .collect();
    format!(
        "handlers need state that was not given to DispatcherBuilder::state: {}; \
         add `.state(value)` for each type",
        list.join("; ")
    )
}

impl DispatcherBuilder {
    pub(super) fn new(keys: KeyRing) -> Self {
        Self {
            keys,
            registered: true,
            added: Vec::new(),
            state: http::Extensions::new(),
            clock: Box::new(SystemClock),
            max_age: Some(Dispatcher::DEFAULT_MAX_AGE),
            body_limit: Dispatcher::DEFAULT_BODY_LIMIT,
            deadline: Some(Dispatcher::DEFAULT_DEADLINE),
            log: Some(Arc::new(MemoryLog::default())),
            log_name: "MemoryLog",
            jobs: None,
            retention: Dispatcher::DEFAULT_RETENTION,
            fail_open: false,
            provided: HashSet::new(),
            on_outcome: None,
        }
    }

    /// Adds a handler by hand: an `#[on_event]` handle (`pwh_core::handler!(my_fn)`) or your
    /// own [`EventHandler`]. A handler whose name is already present is ignored.
    pub fn handler(mut self, handler: impl EventHandler) -> Self {
        self.added.push(Box::new(handler));
        self
    }

    /// Whether to include every `#[on_event]` handler the binary registered (the default).
    /// Turn it off to run only handlers added with [`handler`](Self::handler).
    pub fn registered_handlers(mut self, include: bool) -> Self {
        self.registered = include;
        self
    }

    /// Makes `state` available to handlers as [`Shared<T>`](crate::Shared). One value per type.
    pub fn state<T: Clone + Send + Sync + 'static>(mut self, state: T) -> Self {
        self.state.insert(crate::extract::Shared(state));
        self.provided.insert(TypeId::of::<T>());
        self
    }

    /// Reads "now" from `clock` instead of the system clock (for tests).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Box::new(clock);
        self
    }

    /// Refuses webhooks whose `time_ms` is older than `max_age` (default 10 minutes), or
    /// further than it in the future; `None` turns the check off.
    pub fn max_age(mut self, max_age: Option<Duration>) -> Self {
        self.max_age = max_age;
        self
    }

    /// Refuses bodies larger than `bytes` with 413 (default 1 MiB).
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// Bounds the time from a request's arrival to its answer (default 3 s), waiting for a
    /// busy copy of the body included; past it the answer is 500 and the unfinished handlers
    /// run again on Pusher's retry. `None` lets handlers run as long as they like (Pusher
    /// gives up after about 4 s).
    pub fn deadline(mut self, deadline: Option<Duration>) -> Self {
        self.deadline = deadline;
        self
    }

    /// Remembers deliveries in `log` instead of the default [`MemoryLog`]: `pwh-redis`'s
    /// `RedisLog` shares them among several instances.
    pub fn delivery_log<L: DeliveryLog>(mut self, log: L) -> Self {
        self.log_name = short_type_name::<L>();
        self.log = Some(Arc::new(log));
        self
    }

    /// Where deferred handlers' jobs are recorded until done: `pwh_sqlite`'s store on one
    /// machine, `pwh_redis`'s across machines. Without one, deferred handlers' jobs are kept
    /// in the process ([`MemoryJobs`](crate::jobs::MemoryJobs)), and a `warn` at start-up says a restart loses them.
    pub fn job_store<S: JobStore>(mut self, store: S) -> Self {
        self.jobs = Some((Arc::new(store), short_type_name::<S>()));
        self
    }

    /// Forgets deliveries: every delivery runs every handler, retries and replays included.
    pub fn without_delivery_log(mut self) -> Self {
        self.log = None;
        self.log_name = "none";
        self
    }

    /// How long a body is remembered when the max age is off (default 10 minutes). With a
    /// max age, a body is remembered until it would be refused as stale.
    pub fn retention(mut self, retention: Duration) -> Self {
        self.retention = retention;
        self
    }

    /// When the delivery log cannot answer: `false` (the default) answers 503 and runs no
    /// handler, so Pusher retries later; `true` runs the handlers without the memory (a retry
    /// or replay then runs them again) and says so in the log.
    pub fn fail_open(mut self, fail_open: bool) -> Self {
        self.fail_open = fail_open;
        self
    }

    /// Calls `hook` with every answer the dispatcher gives, after it is decided: the status,
    /// and the outcome (each handler run, its result and time) or the rejection. For counting
    /// outcomes your own way; with the `metrics` feature, pwh already counts them through the
    /// `metrics` facade.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::sync::Arc;
    /// use pwh_core::{Dispatcher, KeyRing, Token};
    ///
    /// let refused = Arc::new(AtomicUsize::new(0));
    /// let counter = Arc::clone(&refused);
    /// let dispatcher = Dispatcher::builder(KeyRing::new([Token::new("k", "s")]))
    ///     .on_outcome(move |response| {
    ///         if response.rejection().is_some() {
    ///             counter.fetch_add(1, Ordering::Relaxed);
    ///         }
    ///     })
    ///     .build();
    /// # tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap().block_on(async {
    /// dispatcher.handle("GET", &[("X-Pusher-Key", "k")], b"").await;
    /// # });
    /// assert_eq!(refused.load(Ordering::Relaxed), 1);
    /// ```
    pub fn on_outcome(mut self, hook: impl Fn(&WebhookResponse) + Send + Sync + 'static) -> Self {
        self.on_outcome = Some(Arc::new(hook));
        self
    }

    /// Builds the dispatcher and logs its handlers at `info`.
    ///
    /// # Panics
    ///
    /// When handlers need state that was not given to [`state`](Self::state), naming each
    /// handler and type: a mistake to find when the app starts, not with the first webhook.
    /// [`try_build`](Self::try_build) returns it instead.
    pub fn build(self) -> Dispatcher {
        match self.try_build() {
            Ok(dispatcher) => dispatcher,
            Err(error) => panic!("cannot build the Pusher webhook dispatcher: {error}"),
        }
    }

    /// Builds the dispatcher, or says why not.
    ///
    /// # Errors
    ///
    /// [`BuildError::MissingState`] when handlers need state that was not given to
    /// [`state`](Self::state).
    pub fn try_build(self) -> Result<Dispatcher, BuildError> {
        let mut slots: Vec<Slot> = Vec::new();
        let mut infos: Vec<HandlerInfo> = Vec::new();
        let registered = if self.registered {
            crate::handler::registered()
        } else {
            Vec::new()
        };
        let all = registered
            .into_iter()
            .map(HandlerRef::Registered)
            .chain(self.added.into_iter().map(|h| HandlerRef::Added(h.into())));
        let mut names = HashSet::new();
        for handler in all {
            let info = handler.get().info();
            if !names.insert(info.name().to_owned()) {
                tracing::warn!(handler = %info, "a handler with this name is already present; ignoring it");
                continue;
            }
            let job = info.job_policy().map(|policy| {
                Arc::new(JobSlot {
                    name: info.deferred_name().unwrap_or(info.name()).to_owned(),
                    policy: *policy,
                })
            });
            slots.push(Slot {
                handler,
                name: Name::from(info.name_cow().clone()),
                job,
            });
            infos.push(info);
        }
        let routes = Routes::new(
            infos
                .iter()
                .map(|info| info.route().clone())
                .zip(slots.iter().cloned()),
        );
        let missing: Vec<(String, &'static str)> = infos
            .iter()
            .flat_map(|info| {
                info.required_state()
                    .iter()
                    .filter(|(id, _)| !self.provided.contains(id))
                    .map(|(_, ty)| (info.name().to_owned(), ty))
            })
            .collect();
        if !missing.is_empty() {
            return Err(BuildError::MissingState(missing));
        }
        for info in &infos {
            tracing::info!(handler = %info, "Pusher webhook handler");
        }
        log_start(&infos, self.log_name);
        let deferred = slots.iter().filter(|s| s.job.is_some()).count();
        let jobs = match self.jobs {
            Some((store, name)) if deferred > 0 => {
                if !store.is_durable() {
                    warn_not_durable(name, deferred);
                }
                Some(store)
            }
            None if deferred > 0 => {
                warn_not_durable("MemoryJobs", deferred);
                Some(Arc::new(MemoryJobs::new()) as Arc<dyn JobStore>)
            }
            given => given.map(|(store, _)| store),
        };
        // A lease outlives the deadline a little, and is renewed while handlers still run.
        let lease_for =
            self.deadline.unwrap_or(Dispatcher::DEFAULT_DEADLINE) + Duration::from_secs(1);
        Ok(Dispatcher {
            inner: Arc::new(Inner {
                keys: self.keys,
                handlers: slots,
                routes,
                state: self.state,
                clock: self.clock,
                limits: Limits {
                    body_limit: self.body_limit,
                    max_age_ms: self.max_age.map(millis),
                },
                deadline: self.deadline,
                retention: self.retention,
                memory: self
                    .log
                    .map(|log| Memory::new(log, lease_for, self.fail_open)),
                jobs,
                on_outcome: self.on_outcome,
            }),
        })
    }
}

/// The last segment of `L`'s path, generics aside: `RedisLog` for `pwh_redis::log::RedisLog`.
fn short_type_name<L>() -> &'static str {
    let name = std::any::type_name::<L>();
    let name = name.split('<').next().unwrap_or(name);
    name.rsplit("::").next().unwrap_or(name)
}

/// The start-up lines: the store and the handlers by kind at `info`, and a `warn` when no
/// handler is registered at all (every webhook would be answered 200 and its events recorded
/// as done).
fn log_start(infos: &[HandlerInfo], store: &str) {
    if infos.is_empty() {
        tracing::warn!(
            store,
            "no Pusher webhook handler is registered: every webhook will be answered 200 and \
             its events recorded as done without running anything. #[on_event] handlers in \
             another crate are linked only when the binary uses that crate: add \
             `use my_handlers as _;` to main.rs"
        );
        return;
    }
    let mut by_kind: Vec<(String, usize)> = Vec::new();
    for info in infos {
        let kind = info.route().to_string();
        match by_kind.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, n)) => *n += 1,
            None => by_kind.push((kind, 1)),
        }
    }
    by_kind.sort();
    let by_kind: Vec<String> = by_kind.iter().map(|(k, n)| format!("{k}: {n}")).collect();
    tracing::info!(
        store,
        handlers = infos.len(),
        by_kind = %by_kind.join(", "),
        "Pusher webhook dispatcher ready"
    );
}

/// The `warn` for deferred handlers whose jobs would be lost with the process.
fn warn_not_durable(store: &str, deferred: usize) {
    tracing::warn!(
        store,
        deferred,
        "deferred handlers' jobs are kept in this process only: a restart loses the jobs not \
         yet done. Give a durable job store with DispatcherBuilder::job_store (pwh-sqlite on \
         one machine, pwh-redis across machines)"
    );
}
