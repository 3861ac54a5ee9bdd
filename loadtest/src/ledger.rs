//! Who ran what: the per-event ledger read from the apps' logs, the sum of several `/state`
//! snapshots, and the exactly-once verdict of a run over two instances.
//!
//! With [`Launch::ledger`](crate::app::Launch::ledger) the app logs one line per handled event,
//! `handled <kind> on <channel>`, from inside the tracker's lock, right when it counts the event.
//! Every event of a run has its own channel, so the lines say how often each event ran and on
//! which instance, also for an instance killed with SIGKILL (its `/state` is gone; its log file,
//! written line by line, is not). The deferred handler `welcome_member` logs one line per job
//! it completes, `welcomed a member channel=<channel>`: the ledger of the jobs.

use std::collections::{BTreeMap, HashMap};

use crate::bodies::PlannedEvent;
use crate::report::State;

/// The instances of a run over two.
pub(crate) const INSTANCES: usize = 2;

/// The `(kind, channel)` of every `handled <kind> on <channel>` line of a log.
pub(crate) fn parse_log(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| {
            let rest = &line[line.find("handled ")? + "handled ".len()..];
            let mut words = rest.split_whitespace();
            let kind = words.next()?;
            (words.next()? == "on").then_some(())?;
            let channel = words.next()?;
            Some((kind.to_owned(), channel.to_owned()))
        })
        .collect()
}

/// The `("welcome_member", channel)` of every `welcomed a member channel=<channel>` line of a
/// log: one per job of the deferred handler completed by that app.
pub(crate) fn parse_welcomes(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| {
            let rest = &line[line.find("welcomed a member")?..];
            let value = rest
                .split_whitespace()
                .find_map(|word| word.strip_prefix("channel="))?;
            Some((
                "welcome_member".to_owned(),
                value.trim_matches('"').to_owned(),
            ))
        })
        .collect()
}

/// Runs of each event, by instance, read from the instances' logs.
#[derive(Debug, Default, Clone)]
pub(crate) struct Ledger {
    /// Channel (one per event) → runs on each instance.
    runs: HashMap<String, [u32; INSTANCES]>,
    /// Runs by kind, on each instance.
    by_kind: [BTreeMap<String, u64>; INSTANCES],
}

impl Ledger {
    /// Adds the `(kind, channel)` lines of instance `instance`'s log.
    pub(crate) fn add(&mut self, instance: usize, lines: Vec<(String, String)>) {
        for (kind, channel) in lines {
            self.runs.entry(channel).or_default()[instance] += 1;
            *self.by_kind[instance].entry(kind).or_default() += 1;
        }
    }

    /// Runs of the event on `channel`, by instance.
    pub(crate) fn runs(&self, channel: &str) -> [u32; INSTANCES] {
        self.runs.get(channel).copied().unwrap_or_default()
    }

    /// What instance `instance` ran, by kind, as a `/state` would count it.
    pub(crate) fn state_of(&self, instance: usize) -> State {
        let handled = self.by_kind[instance].clone();
        State {
            handled_total: handled.values().sum(),
            handled,
        }
    }

    /// Runs of channels that are no event of the plan.
    fn strangers(&self, planned: &[PlannedEvent]) -> u64 {
        let known: std::collections::HashSet<&str> =
            planned.iter().map(|e| e.channel.as_str()).collect();
        self.runs
            .iter()
            .filter(|(channel, _)| !known.contains(channel.as_str()))
            .map(|(_, runs)| u64::from(runs.iter().sum::<u32>()))
            .sum()
    }
}

/// Adds `/state` snapshots together: what the instances handled between them.
pub(crate) fn sum(states: &[State]) -> State {
    let mut total = State {
        handled_total: 0,
        handled: BTreeMap::new(),
    };
    for state in states {
        total.handled_total += state.handled_total;
        for (kind, n) in &state.handled {
            *total.handled.entry(kind.clone()).or_default() += n;
        }
    }
    total
}

/// What the ledger says of every planned event.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Verdict {
    /// Events planned.
    pub(crate) events: u64,
    /// Events that ran exactly once.
    pub(crate) once: u64,
    /// Events that never ran.
    pub(crate) missing: u64,
    /// Events that ran twice where the scenario allows it (see [`check`]).
    pub(crate) twice_allowed: u64,
    /// Events that ran more than once where the scenario does not allow it.
    pub(crate) repeated: u64,
    /// A few channels of missing or wrongly repeated events, to look up in the logs.
    pub(crate) examples: Vec<String>,
    /// Runs of channels that are no planned event.
    pub(crate) strangers: u64,
    /// Extra runs by kind (runs beyond the first of each event).
    pub(crate) extra_by_kind: BTreeMap<String, u64>,
}

impl Verdict {
    /// Whether every event ran, and none ran again where that is not allowed.
    pub(crate) fn passed(&self) -> bool {
        self.missing == 0 && self.repeated == 0 && self.strangers == 0
    }

    /// `", <what> of unknown channels N"` when runs of channels never sent were seen, else
    /// nothing: the end of a ledger line.
    pub(crate) fn strangers_note(&self, what: &str) -> String {
        if self.strangers > 0 {
            format!(", {what} of unknown channels {}", self.strangers)
        } else {
            String::new()
        }
    }
}

/// Checks every planned event against the ledger. An event may run twice only where
/// `may_repeat(webhook, runs)` says so (e.g. it ran once on each instance and the instance
/// that was killed got its webhook and never answered); three runs are never allowed.
pub(crate) fn check(
    planned: &[PlannedEvent],
    ledger: &Ledger,
    may_repeat: impl Fn(usize, [u32; INSTANCES]) -> bool,
) -> Verdict {
    let mut verdict = Verdict {
        events: planned.len() as u64,
        strangers: ledger.strangers(planned),
        ..Verdict::default()
    };
    for event in planned {
        let runs = ledger.runs(&event.channel);
        let total: u32 = runs.iter().sum();
        let example = match total {
            0 => {
                verdict.missing += 1;
                true
            }
            1 => {
                verdict.once += 1;
                false
            }
            2 if may_repeat(event.webhook, runs) => {
                verdict.twice_allowed += 1;
                false
            }
            _ => {
                verdict.repeated += 1;
                true
            }
        };
        if total > 1 {
            *verdict
                .extra_by_kind
                .entry(event.kind.to_owned())
                .or_default() += u64::from(total - 1);
        }
        if example && verdict.examples.len() < 5 {
            verdict
                .examples
                .push(format!("{} x{total} {runs:?}", event.channel));
        }
    }
    verdict
}

/// Kinds where `handled` (the instances' `/state` added up) differs from `sent` plus the extra
/// runs the ledger found: `(kind, expected, handled)`.
pub(crate) fn state_mismatches(
    sent: &BTreeMap<&'static str, u64>,
    extra: &BTreeMap<String, u64>,
    handled: &State,
) -> Vec<(String, u64, u64)> {
    let mut kinds: Vec<&str> = sent.keys().copied().collect();
    kinds.extend(handled.handled.keys().map(String::as_str));
    kinds.sort_unstable();
    kinds.dedup();
    kinds
        .into_iter()
        .filter_map(|kind| {
            let expected =
                sent.get(kind).copied().unwrap_or(0) + extra.get(kind).copied().unwrap_or(0);
            let got = handled.handled.get(kind).copied().unwrap_or(0);
            (expected != got).then(|| (kind.to_owned(), expected, got))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn planned(events: &[(&'static str, &str, usize)]) -> Vec<PlannedEvent> {
        events
            .iter()
            .map(|(kind, channel, webhook)| PlannedEvent {
                kind,
                channel: (*channel).to_owned(),
                webhook: *webhook,
            })
            .collect()
    }

    fn lines(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, c)| ((*k).to_owned(), (*c).to_owned()))
            .collect()
    }

    #[test]
    fn parses_the_tracker_lines_only() {
        let log = "\
2026-01-01T00:00:00.000001Z  WARN handler failed error=injected failure in occupied
2026-01-01T00:00:00.000002Z  INFO pusher_webhook: handled channel_occupied on load-r-1-0 key=\"demo-key\"
2026-01-01T00:00:00.000003Z  INFO handled channel_vacated on load-r-2-0 (late: ignored)
2026-01-01T00:00:00.000004Z  INFO handled member_added
garbage";
        assert_eq!(
            parse_log(log),
            lines(&[
                ("channel_occupied", "load-r-1-0"),
                ("channel_vacated", "load-r-2-0")
            ])
        );
    }

    #[test]
    fn parses_the_welcome_lines_only() {
        let log = "\
2026-01-01T00:00:00.000001Z  INFO handled member_added on load-r-1-0
2026-01-01T00:00:00.000002Z  INFO job: welcomed a member channel=\"load-r-1-0\" total=1 handler=\"welcome_member\" attempt=1
2026-01-01T00:00:00.000003Z  INFO welcomed a member channel=load-r-2-0 total=2
2026-01-01T00:00:00.000004Z  INFO welcomed a member total=3
garbage";
        assert_eq!(
            parse_welcomes(log),
            lines(&[
                ("welcome_member", "load-r-1-0"),
                ("welcome_member", "load-r-2-0")
            ])
        );
        assert!(parse_log(log)
            .iter()
            .all(|(kind, _)| kind == "member_added"));
    }

    #[test]
    fn sums_two_snapshots() {
        let a = State::parse(br#"{"handled_total":3,"handled":{"cache_miss":1,"member_added":2}}"#)
            .unwrap();
        let b = State::parse(br#"{"handled_total":2,"handled":{"cache_miss":2}}"#).unwrap();
        let total = sum(&[a, b]);
        assert_eq!(total.handled_total, 5);
        assert_eq!(total.handled["cache_miss"], 3);
        assert_eq!(total.handled["member_added"], 2);
        assert_eq!(sum(&[]).handled_total, 0);
    }

    #[test]
    fn exactly_once_over_two_instances() {
        let plan = planned(&[
            ("cache_miss", "a", 0),
            ("member_added", "b", 0),
            ("cache_miss", "c", 1),
        ]);
        let mut ledger = Ledger::default();
        ledger.add(0, lines(&[("cache_miss", "a"), ("cache_miss", "c")]));
        ledger.add(1, lines(&[("member_added", "b")]));
        let verdict = check(&plan, &ledger, |_, _| false);
        assert_eq!(verdict.once, 3);
        assert!(verdict.passed(), "{verdict:?}");
        assert_eq!(ledger.state_of(0).handled_total, 2);
        let sent = BTreeMap::from([("cache_miss", 2), ("member_added", 1)]);
        let both = sum(&[ledger.state_of(0), ledger.state_of(1)]);
        assert!(state_mismatches(&sent, &verdict.extra_by_kind, &both).is_empty());
    }

    #[test]
    fn missing_and_repeated_events_fail() {
        let plan = planned(&[("cache_miss", "a", 0), ("cache_miss", "b", 1)]);
        let mut ledger = Ledger::default();
        ledger.add(0, lines(&[("cache_miss", "a")]));
        ledger.add(1, lines(&[("cache_miss", "a")]));
        let verdict = check(&plan, &ledger, |_, _| false);
        assert_eq!((verdict.missing, verdict.repeated), (1, 1));
        assert!(!verdict.passed());
        assert_eq!(verdict.extra_by_kind["cache_miss"], 1);
        assert_eq!(verdict.examples.len(), 2);
        // Added up, the two /state still match the kinds sent (one missing, one extra): the
        // per-event ledger is what tells.
        let sent = BTreeMap::from([("cache_miss", 2)]);
        let both = sum(&[ledger.state_of(0), ledger.state_of(1)]);
        assert!(state_mismatches(&sent, &BTreeMap::new(), &both).is_empty());
        assert_eq!(
            state_mismatches(&sent, &verdict.extra_by_kind, &both),
            vec![("cache_miss".to_owned(), 3, 2)]
        );
    }

    #[test]
    fn a_repeat_is_allowed_only_where_the_scenario_says() {
        let plan = planned(&[("cache_miss", "a", 0), ("cache_miss", "b", 1)]);
        let mut ledger = Ledger::default();
        ledger.add(0, lines(&[("cache_miss", "a"), ("cache_miss", "b")]));
        ledger.add(1, lines(&[("cache_miss", "a"), ("cache_miss", "b")]));
        // Only webhook 0 was in flight on the killed instance.
        let in_flight = |webhook: usize, runs: [u32; 2]| webhook == 0 && runs == [1, 1];
        let verdict = check(&plan, &ledger, in_flight);
        assert_eq!((verdict.twice_allowed, verdict.repeated), (1, 1));
        assert!(!verdict.passed());
        // Three runs are never allowed.
        ledger.add(1, lines(&[("cache_miss", "a")]));
        let verdict = check(&plan[..1], &ledger, |_, _| true);
        assert_eq!((verdict.twice_allowed, verdict.repeated), (0, 1));
    }

    #[test]
    fn unknown_channels_fail() {
        let plan = planned(&[("cache_miss", "a", 0)]);
        let mut ledger = Ledger::default();
        ledger.add(0, lines(&[("cache_miss", "a"), ("cache_miss", "zzz")]));
        let verdict = check(&plan, &ledger, |_, _| false);
        assert_eq!(verdict.strangers, 1);
        assert!(!verdict.passed());
    }
}
