//! Every shared conformance case through pwh-core's framework-free entry point.

use std::time::Duration;

use pwh_core::dispatcher::FixedClock;
use pwh_core::Dispatcher;
use pwh_tests::{Recorder, Suite, CASES_JSON};

#[test]
fn the_copy_is_the_full_suite() {
    let suite = Suite::load();
    assert_eq!(
        suite.cases.len(),
        33,
        "cases.json should hold the 33 shared cases"
    );
    assert!(CASES_JSON.contains("\"about\""));
    assert_eq!(suite.max_age_ms, 600_000);
}

#[tokio::test]
async fn every_case_through_the_core() {
    let suite = Suite::load();
    let mut failures = Vec::new();
    for case in &suite.cases {
        let recorder = Recorder::default();
        let dispatcher = Dispatcher::builder(suite.keys())
            .registered_handlers(false)
            .handler(recorder.clone())
            .clock(FixedClock::new(case.now_ms))
            .max_age(Some(Duration::from_millis(suite.max_age_ms)))
            .build();
        let response = dispatcher
            .handle(&case.method, case.headers.as_slice(), &case.body())
            .await;
        let status = response.status().as_u16();
        let events = recorder.events();
        if status != case.expect_status || events != case.expect_events {
            failures.push(format!(
                "{}: status {status} (want {}), events {events:?} (want {:?}), {:?}",
                case.name,
                case.expect_status,
                case.expect_events,
                response.rejection()
            ));
        }
        if !(200..300).contains(&case.expect_status) {
            assert!(
                events.is_empty(),
                "{}: a handler ran on a refused request",
                case.name
            );
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
