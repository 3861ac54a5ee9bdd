//! Command-line flags.

use std::path::PathBuf;
use std::time::Duration;

/// The usage text printed by `--help` and after a bad flag.
pub(crate) const USAGE: &str = "\
pwh-loadtest: fire distinct signed Pusher webhooks at the axum example app over keep-alive
HTTP/1.1 connections on 127.0.0.1, then check that every event was handled exactly once.

USAGE:
    pwh-loadtest [--webhooks N] [--concurrency C] [--fail-once F] [--retries R] [--duplicate]
                 [--store memory|sqlite|redis] [--redis] [--deferred] [--time-limit S]
                 [--app-bin PATH]
    pwh-loadtest --instances 2 --redis [--scenario S] [--webhooks N] [--concurrency C]
                 [--fail-once F] [--outage-secs S] [--time-limit S] [--app-bin PATH]
    pwh-loadtest --instances 2 --redis --deferred [--scenario steady] [--webhooks N]
                 [--concurrency C] [--fail-once F] [--time-limit S] [--app-bin PATH]

FLAGS:
    --webhooks N      distinct webhooks to send, 1 to 3 events each   [default: 50000]
    --concurrency C   concurrent keep-alive connections                [default: 64]
    --fail-once F     start the app with PWH_FAIL_ONCE=F (0 < F <= 1): that fraction of
                      handler calls fails once; a 500 is retried with the same body and
                      signature, as Pusher does                        [default: off]
    --retries R       retries of one webhook after a 500 or a broken connection
                                                                       [default: 5]
    --duplicate       deliver every webhook twice, the two copies at the same time (a
                      redelivery racing the original); each event must still be handled once
    --store S         the app's delivery memory and jobs, always set explicitly:
                      memory: one run, both in the process (PWH_STORE=memory)
                      sqlite: the same load twice, in memory and then in one SQLite file
                      (PWH_SQLITE_PATH in a temporary directory of the run, removed at the
                      end), printed side by side with the ratio (aim >= 0.5x)
                      redis: the same as --redis                       [default: memory]
    --redis           one instance: run the same load twice, with the in-memory redelivery
                      memory and with PWH_REDIS_URL on a redis-server this tool starts (free
                      loopback port, temp dir, --save '' --appendonly no; stopped on exit),
                      and print both side by side (the deferred jobs then are in that Redis
                      too)
    --deferred        every event is a member_added, so that each one becomes a job of the
                      deferred handler welcome_member: enqueueing dominates. After sending,
                      /state is polled until no job is pending or running (within
                      --time-limit of the first send); then jobs.done and welcomed_total must
                      equal the member_added events sent and jobs.dead be 0. Reports the time
                      from the first send until the last job was done, and jobs/s.
                      PWH_EXAMPLE_SLOW_MS, PWH_EXAMPLE_DEFERRED_FAIL, PWH_JOB_MAX_ATTEMPTS and
                      PWH_JOB_BACKOFF_MS pass from this environment to the app.
                      With --instances 2 --redis: first the same load on one instance in
                      memory (the baseline), then the steady scenario on two instances whose
                      jobs are in the one Redis; /state of both is polled until no job is
                      left; jobs.done must equal the member_added sent, welcomed_total added
                      up over both too, and each job's `welcomed a member` log line appear
                      once over both logs. Prints the enqueue webhooks/s of both side by
                      side with the ratio (aim >= 0.5x)
    --instances N     1 or 2. With 2 (needs --redis): two apps share one Redis; every body
                      goes to both at once, and a body neither accepted (500, 503, no
                      answer) is sent again to a random live instance, with backoff, until
                      accepted or the time limit. Checks from both /state and the per-event
                      log ledger that every event ran exactly once (the two apps keep their
                      deferred jobs in the one Redis too)
    --scenario S      with --instances 2: steady, redis-outage (redis-server stopped for
                      --outage-secs at 30 % of the bodies, then restarted on the same port
                      with the same arguments), kill (the second app SIGKILLed at 40 %),
                      stall (DEBUG SLEEP 2 on Redis: 20 fresh bodies sent meanwhile must be
                      answered 503 within 1 s, the same bodies sent right after it must be
                      answered 200 within 1 s), rotation (one body signed by token A to one
                      instance, by token B of PUSHER_EXTRA_TOKENS to the other: both 200,
                      handled once), large (one body of 15,000 events, --fail-once or 0.05,
                      posted to alternate instances until 200: at most 10 tries, each
                      answered within 4 s), or all of them in turn
                                                 [default: all; steady with --deferred]
                      (stall and rotation run without injected failures; the probes
                      stall, rotation and large ignore --webhooks and --concurrency)
    --outage-secs S   how long Redis stays down in redis-outage        [default: 3]
    --time-limit S    with --instances 2: the longest a scenario may send; bodies not
                      accepted by then count as undelivered (FAIL). With --deferred: the
                      longest from the first send until every job is done (FAIL after)
                                                                       [default: 300]
    --app-bin PATH    the example-axum binary to start; by default it is built in release
                      (`cargo build --release -p example-axum`) and taken from the target dir
    -h, --help        this text

The app gets the demo token (demo-key/demo-secret) unless PUSHER_APP_KEY and PUSHER_APP_SECRET
are both set. Exits 1 when a check fails, 2 on a usage or setup error.";

/// Where the app keeps its delivery memory and jobs: in memory alone, or in memory and then in
/// another store, side by side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StoreChoice {
    /// One run, in memory.
    Memory,
    /// In memory, then in one SQLite file.
    Sqlite,
    /// In memory, then the delivery memory in Redis (the jobs in SQLite).
    Redis,
}

impl StoreChoice {
    /// Its name on the command line.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Memory => "memory",
            Self::Sqlite => "sqlite",
            Self::Redis => "redis",
        }
    }
}

/// A run over two instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scenario {
    /// Both instances up, Redis up.
    Steady,
    /// Redis stopped for a while mid-run, then restarted.
    RedisOutage,
    /// The second instance killed with SIGKILL mid-run.
    Kill,
    /// Redis stalled by `DEBUG SLEEP`: fresh bodies answered 503 at once, then 200 after.
    Stall,
    /// One body signed by two tokens of the app, one per instance: one delivery.
    Rotation,
    /// One body of 15,000 events, handlers failing once, posted until answered 200.
    Large,
}

impl Scenario {
    /// Every scenario, in the order `all` runs them.
    pub(crate) const ALL: [Self; 6] = [
        Self::Steady,
        Self::RedisOutage,
        Self::Kill,
        Self::Stall,
        Self::Rotation,
        Self::Large,
    ];

    /// Its name on the command line.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Steady => "steady",
            Self::RedisOutage => "redis-outage",
            Self::Kill => "kill",
            Self::Stall => "stall",
            Self::Rotation => "rotation",
            Self::Large => "large",
        }
    }

    /// Whether it sends a few bodies of its own and checks each answer (a probe), rather than
    /// the `--webhooks` load.
    pub(crate) fn is_probe(self) -> bool {
        matches!(self, Self::Stall | Self::Rotation | Self::Large)
    }
}

/// What to do.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Command {
    /// Print the usage.
    Help,
    /// Run the load.
    Run(Options),
}

/// The options of a run.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Options {
    /// Distinct webhooks to send.
    pub(crate) webhooks: usize,
    /// Concurrent connections.
    pub(crate) concurrency: usize,
    /// `PWH_FAIL_ONCE` for the app, when the failure mode is on.
    pub(crate) fail_once: Option<f64>,
    /// Retries of one webhook.
    pub(crate) retries: u32,
    /// Whether every webhook is delivered twice, concurrently.
    pub(crate) duplicate: bool,
    /// The store: in memory alone, or another beside it (Redis also with two instances).
    pub(crate) store: StoreChoice,
    /// Whether every event is a `member_added` whose deferred job must be done once.
    pub(crate) deferred: bool,
    /// App instances: 1 or 2.
    pub(crate) instances: usize,
    /// The scenarios to run with two instances.
    pub(crate) scenarios: Vec<Scenario>,
    /// How long Redis is down in [`Scenario::RedisOutage`].
    pub(crate) outage: Duration,
    /// The longest a two-instance scenario may send.
    pub(crate) time_limit: Duration,
    /// The app binary, when given.
    pub(crate) app_bin: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            webhooks: 50_000,
            concurrency: 64,
            fail_once: None,
            retries: 5,
            duplicate: false,
            store: StoreChoice::Memory,
            deferred: false,
            instances: 1,
            scenarios: Scenario::ALL.to_vec(),
            outage: Duration::from_secs(3),
            time_limit: Duration::from_secs(300),
            app_bin: None,
        }
    }
}

/// Parses the arguments (without the program name). Accepts `--flag value` and `--flag=value`.
pub(crate) fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut options = Options::default();
    let mut scenario_given = false;
    let mut store_given: Option<StoreChoice> = None;
    let mut choose = |store: StoreChoice| match store_given.replace(store) {
        Some(earlier) if earlier != store => Err(format!(
            "--store {} and --store {} (or --redis) cannot both be given",
            earlier.name(),
            store.name()
        )),
        _ => Ok(store),
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg, None),
        };
        if flag == "-h" || flag == "--help" {
            return Ok(Command::Help);
        }
        if flag == "--duplicate" && inline.is_none() {
            options.duplicate = true;
            continue;
        }
        if flag == "--redis" && inline.is_none() {
            options.store = choose(StoreChoice::Redis)?;
            continue;
        }
        if flag == "--deferred" && inline.is_none() {
            options.deferred = true;
            continue;
        }
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--webhooks" => options.webhooks = positive(&flag, &value()?)?,
            "--concurrency" => options.concurrency = positive(&flag, &value()?)?,
            "--retries" => {
                let v = value()?;
                options.retries = v
                    .parse()
                    .map_err(|_| format!("{flag}: `{v}` is not a number of retries"))?;
            }
            "--fail-once" => {
                let v = value()?;
                let ratio = v
                    .parse::<f64>()
                    .ok()
                    .filter(|r| *r > 0.0 && *r <= 1.0)
                    .ok_or_else(|| format!("{flag}: `{v}` is not a fraction in (0, 1]"))?;
                options.fail_once = Some(ratio);
            }
            "--instances" => {
                let v = value()?;
                options.instances = match v.as_str() {
                    "1" => 1,
                    "2" => 2,
                    _ => return Err(format!("{flag}: `{v}` is not 1 or 2")),
                };
            }
            "--scenario" => {
                let v = value()?;
                scenario_given = true;
                options.scenarios = match v.as_str() {
                    "all" => Scenario::ALL.to_vec(),
                    name => vec![Scenario::ALL
                        .into_iter()
                        .find(|s| s.name() == name)
                        .ok_or_else(|| {
                            format!(
                                "{flag}: `{v}` is not steady, redis-outage, kill, stall, \
                                 rotation, large or all"
                            )
                        })?],
                };
            }
            "--store" => {
                let v = value()?;
                let store = [StoreChoice::Memory, StoreChoice::Sqlite, StoreChoice::Redis]
                    .into_iter()
                    .find(|s| s.name() == v)
                    .ok_or_else(|| format!("{flag}: `{v}` is not memory, sqlite or redis"))?;
                options.store = choose(store)?;
            }
            "--outage-secs" => options.outage = seconds(&flag, &value()?)?,
            "--time-limit" => options.time_limit = seconds(&flag, &value()?)?,
            "--app-bin" => options.app_bin = Some(PathBuf::from(value()?)),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    if options.instances == 2 {
        if options.store != StoreChoice::Redis {
            return Err(
                "--instances 2 needs --redis: instances share their memory only \
                        through Redis"
                    .into(),
            );
        }
        if options.duplicate {
            return Err(
                "--duplicate is for one instance: with two, every body already goes \
                        to both at once"
                    .into(),
            );
        }
        if options.deferred {
            if scenario_given && options.scenarios != [Scenario::Steady] {
                return Err("--deferred with --instances 2 runs the steady scenario only".into());
            }
            options.scenarios = vec![Scenario::Steady];
        }
    } else if scenario_given {
        return Err("--scenario needs --instances 2".into());
    }
    Ok(Command::Run(options))
}

fn seconds(flag: &str, value: &str) -> Result<Duration, String> {
    value
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s <= 3600.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("{flag}: `{value}` is not a number of seconds in (0, 3600]"))
}

fn positive(flag: &str, value: &str) -> Result<usize, String> {
    value
        .parse::<usize>()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("{flag}: `{value}` is not a positive number"))
}

#[cfg(test)]
mod tests;
