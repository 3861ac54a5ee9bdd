//! Criterion benchmarks of issue 6: what pwh's framework-free entry point costs next to a
//! hand-written receiver and to the `pusher` crate, and whether routing grows with the number
//! of handlers.
//!
//! ```text
//! cargo bench -p pwh-bench                                   # every group, then the ratios
//! cargo bench -p pwh-bench -- webhook_20_events              # one group
//! cargo test -p pwh-bench --benches                          # each benchmark once, as a test
//! ```
//!
//! Groups (each compares its contenders within one run):
//! - `webhook_1_event`, `webhook_20_events`: `entry_point` (`Dispatcher::handle`: verify,
//!   parse, freshness, delivery memory, one catch-all no-op handler), `baseline` (see
//!   `pwh_bench::baseline`) and `pusher` (`pusher` 0.4.5's `Pusher::webhook`, then the same
//!   freshness check and `match` as the baseline);
//! - `dispatch_kinds`: the entry point with 1, 100 and 10,000 handlers of distinct kinds, each
//!   body's one event hitting one of them (the bodies cycle through all the kinds, so with
//!   10,000 the handler and its route are cold in the CPU caches); `kinds_10000_hot`: 10,000
//!   handlers, every body hitting the same one (what is left is the lookup itself).
//!
//! Every contender cycles through a pool of 10,000 distinct signed bodies, and the dispatcher's
//! memory has room for all of them, so that it never forgets a body early (the degraded state
//! of a full memory) and each delivery is a first delivery (not a replay that runs nothing):
//! when the pool wraps, the next pass starts on a new dispatcher, made outside the timed part
//! (a body is only forgotten at its max age, which a benchmark does not reach). Every
//! contender runs inside `Runtime::block_on` of the same
//! current-thread Tokio runtime, and every answer is checked (a refusal or a replay fails the
//! run). At the end the medians of this run and the issue's ratios are printed, then the same
//! groups are timed interleaved (contenders taking turns in ~2 ms slices; the median of the
//! per-round ratios drifts least on a shared machine): `PWH_BENCH_INTERLEAVE=<seconds per
//! group>` (default 6, 0 turns it off). `PWH_BENCH_COUNT=<group>/<bench>:<n>` runs `n`
//! iterations of one contender without criterion, for `benches/callgrind.sh`.

use std::collections::HashMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use criterion::{Criterion, Throughput};
use pwh_bench::baseline::Baseline;
use pwh_bench::{
    dispatcher, dispatcher_without_log, header, kind_pool, on_kind, pool, KindHandler, Noop,
    Signed, KEY, MAX_AGE_MS, NOW_MS, POOL, SECRET,
};
use pwh_core::Dispatcher;
use tokio::runtime::Runtime;

/// Deliveries before anything is measured or counted: caches warm, the memory's ring and index
/// grown past the sizes the counted iterations reach.
const WARM_UP: usize = 2_000;

fn runtime() -> Runtime {
    // The dispatcher's deadline needs the timer.
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a current-thread Tokio runtime")
}

/// The `pusher` crate's receiver, as its user would write it: `webhook()` (key, HMAC, parse
/// into `HashMap<String, String>` events), then the freshness check and `match` that the
/// baseline does too. `webhook()` takes `&str`, so the body is checked to be UTF-8 first.
fn pusher_receiver() -> impl Fn(&[(&str, &str)], &[u8], u64) -> Option<usize> {
    let pusher = pusher::PusherBuilder::new("bench-app", KEY, SECRET).finalize();
    move |headers, body, now_ms| {
        let key = header(headers, "x-pusher-key")?;
        let signature = header(headers, "x-pusher-signature")?;
        let body = std::str::from_utf8(body).ok()?;
        let hook = pusher.webhook(key, signature, body).ok()?;
        let time_ms = u64::try_from(hook.time_ms).ok()?;
        if now_ms.saturating_sub(time_ms) > MAX_AGE_MS {
            return None;
        }
        for event in &hook.events {
            let channel = event.get("channel").map(String::as_str);
            match event.get("name").map(String::as_str) {
                Some("channel_occupied") => on_kind(0, channel),
                Some("channel_vacated") => on_kind(1, channel),
                Some("member_added") => on_kind(2, channel),
                Some("member_removed") => on_kind(3, channel),
                Some("client_event") => on_kind(4, channel),
                Some("cache_miss") => on_kind(5, channel),
                Some("subscription_count") => on_kind(6, channel),
                _ => on_kind(7, channel),
            }
        }
        Some(hook.events.len())
    }
}

/// Delivers `signed` to `dispatcher`: whether it was a first delivery answered 200 with
/// `runs` handler runs (one per event that has a handler).
async fn deliver(dispatcher: &Dispatcher, signed: &Signed, runs: usize) -> bool {
    let response = dispatcher
        .handle("POST", &signed.headers(), &signed.body)
        .await;
    response.status() == 200
        && response
            .outcome()
            .is_some_and(|o| !o.is_replay() && o.runs().len() == runs)
}

type PusherReceiver = Box<dyn Fn(&[(&str, &str)], &[u8], u64) -> Option<usize>>;

/// What handles the bodies.
enum Receiver {
    /// `Dispatcher::handle`, expecting this many handler runs per body.
    EntryPoint(Dispatcher, usize),
    /// The hand-written baseline, expecting this many events per body.
    Baseline(Baseline, usize),
    /// The `pusher` crate, expecting this many events per body.
    Pusher(PusherReceiver, usize),
}

/// Makes the dispatcher of an entry point again, with an empty memory.
type Build = Box<dyn Fn() -> Dispatcher>;

/// One contender: a receiver and the pool of bodies it cycles through, one per iteration.
struct Contender {
    receiver: Receiver,
    /// For an entry point with a delivery log: a new dispatcher for each pass through the pool
    /// (its memory holds every body of the pool, so a second pass would be replays).
    build: Option<Build>,
    pool: Vec<Signed>,
    next: usize,
    /// Whether the pool wrapped since the dispatcher was made.
    wrapped: bool,
    failures: usize,
}

impl Contender {
    /// `bench` of `group` (the names criterion shows), or `None` if there is no such one.
    fn new(group: &str, bench: &str) -> Option<Self> {
        let mut build: Option<Build> = None;
        let (receiver, pool) = match group {
            "webhook_1_event" | "webhook_20_events" => {
                let events = if group == "webhook_1_event" { 1 } else { 20 };
                let receiver = match bench {
                    "entry_point" => {
                        build = Some(Box::new(|| dispatcher([Noop])));
                        Receiver::EntryPoint(dispatcher([Noop]), events)
                    }
                    "entry_point_no_log" => {
                        Receiver::EntryPoint(dispatcher_without_log([Noop]), events)
                    }
                    "baseline" => {
                        Receiver::Baseline(Baseline::new(KEY, SECRET, MAX_AGE_MS), events)
                    }
                    "pusher" => Receiver::Pusher(Box::new(pusher_receiver()), events),
                    _ => return None,
                };
                (receiver, pool(POOL, events, NOW_MS))
            }
            "dispatch_kinds" => {
                // `kinds_N`: N handlers, the bodies cycling through their N kinds;
                // `kinds_N_hot`: N handlers, every body of kind `kind_0`.
                let spec = bench.strip_prefix("kinds_")?;
                let (kinds, hot) = match spec.strip_suffix("_hot") {
                    Some(n) => (n.parse().ok()?, true),
                    None => (spec.parse().ok()?, false),
                };
                let entry = dispatcher((0..kinds).map(KindHandler::new));
                assert_eq!(entry.handlers().len(), kinds);
                build = Some(Box::new(move || {
                    dispatcher((0..kinds).map(KindHandler::new))
                }));
                let pool = kind_pool(POOL, if hot { 1 } else { kinds }, NOW_MS);
                (Receiver::EntryPoint(entry, 1), pool)
            }
            _ => return None,
        };
        Some(Self {
            receiver,
            build,
            pool,
            next: 0,
            wrapped: false,
            failures: 0,
        })
    }

    /// Runs `n` steps and returns the time they took: at each wrap of the pool, the new
    /// dispatcher is made outside the timing.
    fn timed_steps(&mut self, rt: &Runtime, n: u64) -> Duration {
        let mut elapsed = Duration::ZERO;
        let mut left = n;
        while left > 0 {
            self.renew_if_wrapped();
            let pass = left.min((self.pool.len() - self.next) as u64);
            let started = Instant::now();
            for _ in 0..pass {
                self.step(rt);
            }
            elapsed += started.elapsed();
            left -= pass;
        }
        elapsed
    }

    /// A new dispatcher, with an empty memory, if the pool wrapped since this one was made.
    fn renew_if_wrapped(&mut self) {
        if !std::mem::take(&mut self.wrapped) {
            return;
        }
        if let (Receiver::EntryPoint(dispatcher, _), Some(build)) =
            (&mut self.receiver, &self.build)
        {
            *dispatcher = build();
        }
    }

    /// Handles the next body of the pool inside `rt.block_on`, and checks the answer.
    fn step(&mut self, rt: &Runtime) {
        let signed = &self.pool[self.next];
        self.next = if self.next + 1 == self.pool.len() {
            self.wrapped = true;
            0
        } else {
            self.next + 1
        };
        let ok = match &self.receiver {
            Receiver::EntryPoint(dispatcher, runs) => {
                rt.block_on(deliver(dispatcher, signed, *runs))
            }
            Receiver::Baseline(baseline, events) => {
                let handled =
                    rt.block_on(async { baseline.handle(&signed.headers(), &signed.body, NOW_MS) });
                black_box(handled) == Ok(*events)
            }
            Receiver::Pusher(receive, events) => {
                let handled =
                    rt.block_on(async { receive(&signed.headers(), &signed.body, NOW_MS) });
                black_box(handled) == Some(*events)
            }
        };
        if !ok {
            self.failures += 1;
        }
    }

    fn assert_clean(&self, what: &str) {
        assert_eq!(
            self.failures, 0,
            "{what}: some deliveries were refused or replayed, so the benchmark measured the \
             wrong thing"
        );
    }
}

/// The benchmarks, by group, in the order they run.
const BENCHES: [(&str, &[&str]); 3] = [
    (
        "webhook_1_event",
        &["entry_point", "entry_point_no_log", "baseline", "pusher"],
    ),
    (
        "webhook_20_events",
        &["entry_point", "entry_point_no_log", "baseline", "pusher"],
    ),
    (
        "dispatch_kinds",
        &["kinds_1", "kinds_100", "kinds_10000", "kinds_10000_hot"],
    ),
];

fn run_group(c: &mut Criterion, rt: &Runtime, group: &str, benches: &[&str]) {
    let mut g = c.benchmark_group(group);
    let events = if group == "webhook_20_events" { 20 } else { 1 };
    g.throughput(Throughput::Elements(events));
    for &bench in benches {
        let mut contender = Contender::new(group, bench).expect("a known benchmark");
        g.bench_function(bench, |b| b.iter_custom(|n| contender.timed_steps(rt, n)));
        contender.assert_clean(&format!("{group}/{bench}"));
    }
    g.finish();
}

/// `PWH_BENCH_COUNT=group/bench:N`: no criterion, just `N` iterations of one contender after
/// the warm-up, for instruction counts (`benches/callgrind.sh`). Warm-up and iterations stay
/// within one pass through the pool: no dispatcher is made again, nothing is forgotten.
fn count(spec: &str) {
    let (name, n) = spec
        .rsplit_once(':')
        .expect("PWH_BENCH_COUNT=group/bench:iterations");
    let (group, bench) = name
        .split_once('/')
        .expect("PWH_BENCH_COUNT=group/bench:iterations");
    let n: usize = n.parse().expect("a number of iterations");
    let mut contender = Contender::new(group, bench).expect("a known benchmark");
    assert!(
        WARM_UP + n <= POOL,
        "PWH_BENCH_COUNT: at most {} iterations (one pass through the pool)",
        POOL - WARM_UP
    );
    let rt = runtime();
    for _ in 0..WARM_UP + n {
        contender.step(&rt);
    }
    contender.assert_clean(name);
    println!("{name}: {WARM_UP} + {n} iterations");
    // The process ends here: no teardown is counted. Dropped, the memory would be freed by
    // whichever thread lets go of it last (the lease renewer's, at times), its cost growing
    // with the bodies remembered, so landing in one of the two runs only.
    std::mem::forget(contender);
}

/// Where criterion writes its estimates: `$CRITERION_HOME`, else `$CARGO_TARGET_DIR/criterion`,
/// else `<target>/criterion` next to this executable (`<target>/release/deps/dispatch-…`).
fn output_directory() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return home.into();
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(target).join("criterion");
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.join("criterion")))
        .unwrap_or_else(|| PathBuf::from("target/criterion"))
}

/// The median (ns) criterion estimated for `group/bench` in this run (written after `since`).
fn median_ns(dir: &Path, group: &str, bench: &str, since: SystemTime) -> Option<f64> {
    let path = dir.join(group).join(bench).join("new/estimates.json");
    let modified = std::fs::metadata(&path).ok()?.modified().ok()?;
    if modified < since {
        return None;
    }
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(path).ok()?).ok()?;
    json["median"]["point_estimate"].as_f64()
}

/// A ratio issue 6 asks for: label, numerator and denominator (`group/bench`), and its goal.
struct Goal {
    label: &'static str,
    num: &'static str,
    den: &'static str,
    goal: &'static str,
    met: fn(f64) -> bool,
}

const GOALS: [Goal; 8] = [
    Goal {
        label: "entry point / baseline, 1 event",
        num: "webhook_1_event/entry_point",
        den: "webhook_1_event/baseline",
        goal: "<= 1.1",
        met: |r| r <= 1.1,
    },
    Goal {
        label: "entry point / baseline, 20 events",
        num: "webhook_20_events/entry_point",
        den: "webhook_20_events/baseline",
        goal: "<= 1.1",
        met: |r| r <= 1.1,
    },
    Goal {
        label: "entry point without log / baseline, 1",
        num: "webhook_1_event/entry_point_no_log",
        den: "webhook_1_event/baseline",
        goal: "<= 1.1",
        met: |r| r <= 1.1,
    },
    Goal {
        label: "entry point without log / baseline, 20",
        num: "webhook_20_events/entry_point_no_log",
        den: "webhook_20_events/baseline",
        goal: "<= 1.1",
        met: |r| r <= 1.1,
    },
    Goal {
        label: "pusher / entry point, 1 event",
        num: "webhook_1_event/pusher",
        den: "webhook_1_event/entry_point",
        goal: ">= 3",
        met: |r| r >= 3.0,
    },
    Goal {
        label: "pusher / entry point, 20 events",
        num: "webhook_20_events/pusher",
        den: "webhook_20_events/entry_point",
        goal: ">= 3",
        met: |r| r >= 3.0,
    },
    Goal {
        label: "100 kinds / 1 kind",
        num: "dispatch_kinds/kinds_100",
        den: "dispatch_kinds/kinds_1",
        goal: "<= 1.1",
        met: |r| r <= 1.1,
    },
    Goal {
        label: "10,000 kinds / 1 kind",
        num: "dispatch_kinds/kinds_10000",
        den: "dispatch_kinds/kinds_1",
        goal: "<= 1.1",
        met: |r| r <= 1.1,
    },
];

/// Every benchmark as `group/bench`, in order.
fn all_benches() -> Vec<String> {
    BENCHES
        .iter()
        .flat_map(|(g, bs)| bs.iter().map(move |b| format!("{g}/{b}")))
        .collect()
}

/// Prints `medians` (ns, by `group/bench`) and each goal's ratio as `ratio` computes it.
fn print_table(
    title: &str,
    medians: &HashMap<String, f64>,
    ratio: impl Fn(&str, &str) -> Option<f64>,
) {
    println!("\n== {title}: medians");
    for bench in all_benches() {
        if let Some(ns) = medians.get(&bench) {
            println!("{bench:<32} {:>10.2} µs", ns / 1_000.0);
        }
    }
    println!("== {title}: ratios (issue 6)");
    for g in &GOALS {
        match ratio(g.num, g.den) {
            Some(r) => {
                let verdict = if (g.met)(r) { "met" } else { "MISSED" };
                println!("{:<36} {r:>6.2}   goal {:<6} {verdict}", g.label, g.goal);
            }
            None => println!("{:<36}    n/a   (not run)", g.label),
        }
    }
}

/// Prints criterion's medians of this run and the ratios of those medians.
fn report(dir: &Path, since: SystemTime) -> HashMap<String, f64> {
    let medians: HashMap<String, f64> = all_benches()
        .into_iter()
        .filter_map(|name| {
            let (g, b) = name.split_once('/')?;
            let ns = median_ns(dir, g, b, since)?;
            Some((name, ns))
        })
        .collect();
    if !medians.is_empty() {
        print_table(
            &format!("criterion ({})", dir.display()),
            &medians,
            |n, d| Some(medians.get(n)? / medians.get(d)?),
        );
    }
    medians
}

/// The median of `values` (which it sorts).
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// Interleaved timing of the contenders of `group`: round after round, each contender (in a
/// rotating order) handles a slice of about 2 ms of bodies, and its time per body is recorded.
/// On a shared machine the load drifts between criterion's consecutive measurements; here
/// every round measures all contenders within a few milliseconds, so the median of the
/// per-round ratios is what drift moves least. Returns the per-round ns per body of each.
fn interleaved(rt: &Runtime, group: &str, benches: &[&str], budget: Duration) -> Vec<Vec<f64>> {
    let mut contenders: Vec<Contender> = benches
        .iter()
        .map(|b| Contender::new(group, b).expect("a known benchmark"))
        .collect();
    // Warm up and size each slice to about 2 ms.
    let slices: Vec<u32> = contenders
        .iter_mut()
        .map(|c| {
            let per = c.timed_steps(rt, WARM_UP as u64).as_secs_f64() / WARM_UP as f64;
            ((0.002 / per) as u32).clamp(1, 100_000)
        })
        .collect();
    let mut samples = vec![Vec::new(); contenders.len()];
    let started = Instant::now();
    let mut round = 0;
    while started.elapsed() < budget {
        for k in 0..contenders.len() {
            let i = (round + k) % contenders.len();
            let took = contenders[i].timed_steps(rt, u64::from(slices[i]));
            samples[i].push(took.as_nanos() as f64 / f64::from(slices[i]));
        }
        round += 1;
    }
    for (c, b) in contenders.iter().zip(benches) {
        c.assert_clean(&format!("{group}/{b} (interleaved)"));
    }
    samples
}

/// Runs [`interleaved`] on the groups criterion ran, and prints the medians and the medians
/// of the per-round ratios.
fn report_interleaved(rt: &Runtime, ran: &HashMap<String, f64>, budget: Duration) {
    let mut rounds: HashMap<String, Vec<f64>> = HashMap::new();
    for (group, benches) in BENCHES {
        if !benches
            .iter()
            .any(|b| ran.contains_key(&format!("{group}/{b}")))
        {
            continue;
        }
        eprintln!("interleaved: {group} ({} s)", budget.as_secs());
        let samples = interleaved(rt, group, benches, budget);
        for (b, s) in benches.iter().zip(samples) {
            rounds.insert(format!("{group}/{b}"), s);
        }
    }
    let medians: HashMap<String, f64> = rounds
        .iter()
        .map(|(k, v)| (k.clone(), median(&mut v.clone())))
        .collect();
    let count = rounds.values().map(Vec::len).min().unwrap_or(0);
    print_table(
        &format!("interleaved, {count} rounds of ~2 ms slices"),
        &medians,
        |n, d| {
            let (n, d) = (rounds.get(n)?, rounds.get(d)?);
            let mut per_round: Vec<f64> = n.iter().zip(d).map(|(a, b)| a / b).collect();
            Some(median(&mut per_round))
        },
    );
}

fn main() {
    if let Ok(spec) = std::env::var("PWH_BENCH_COUNT") {
        count(&spec);
        return;
    }
    let dir = output_directory();
    let mut c = Criterion::default()
        .output_directory(&dir)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30)
        .configure_from_args();
    // Criterion stamps files with the file system's clock: allow for a coarse one.
    let since = SystemTime::now() - Duration::from_secs(1);
    let rt = runtime();
    for (group, benches) in BENCHES {
        run_group(&mut c, &rt, group, benches);
    }
    c.final_summary();
    let ran = report(&dir, since);
    // Seconds of interleaved timing per group that criterion ran (0: none).
    let budget = std::env::var("PWH_BENCH_INTERLEAVE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(6);
    if budget > 0 && !ran.is_empty() {
        report_interleaved(&rt, &ran, Duration::from_secs(budget));
    }
}
