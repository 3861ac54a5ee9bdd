//! The command line's flags, defaults and refusals.

use super::*;

fn run(args: &[&str]) -> Result<Command, String> {
    parse(args.iter().map(|a| (*a).to_owned()))
}

#[test]
fn defaults() {
    assert_eq!(run(&[]), Ok(Command::Run(Options::default())));
    assert_eq!(run(&["--help"]), Ok(Command::Help));
}

#[test]
fn flags_in_both_forms() {
    let Ok(Command::Run(o)) = run(&[
        "--webhooks",
        "10",
        "--concurrency=4",
        "--fail-once",
        "0.05",
        "--retries=2",
        "--app-bin",
        "/bin/app",
        "--duplicate",
    ]) else {
        panic!("should parse");
    };
    assert_eq!(o.webhooks, 10);
    assert_eq!(o.concurrency, 4);
    assert_eq!(o.fail_once, Some(0.05));
    assert_eq!(o.retries, 2);
    assert_eq!(o.app_bin, Some(PathBuf::from("/bin/app")));
    assert!(o.duplicate);
}

#[test]
fn two_instances_and_scenarios() {
    let Ok(Command::Run(o)) = run(&["--instances", "2", "--redis"]) else {
        panic!("should parse");
    };
    assert_eq!((o.instances, o.store), (2, StoreChoice::Redis));
    assert_eq!(o.scenarios, Scenario::ALL.to_vec());
    assert_eq!(o.time_limit, Duration::from_secs(300));
    let Ok(Command::Run(o)) = run(&[
        "--redis",
        "--instances=2",
        "--scenario",
        "redis-outage",
        "--outage-secs",
        "2.5",
        "--time-limit=60",
        "--fail-once",
        "0.05",
    ]) else {
        panic!("should parse");
    };
    assert_eq!(o.scenarios, vec![Scenario::RedisOutage]);
    assert_eq!(o.outage, Duration::from_millis(2_500));
    assert_eq!(o.time_limit, Duration::from_secs(60));
    assert_eq!(o.fail_once, Some(0.05));
    let Ok(Command::Run(o)) = run(&["--redis"]) else {
        panic!("should parse");
    };
    assert_eq!((o.instances, o.store), (1, StoreChoice::Redis));
}

#[test]
fn two_instance_flags_are_checked() {
    assert!(run(&["--instances", "2"]).is_err(), "needs --redis");
    assert!(run(&["--instances", "3", "--redis"]).is_err());
    assert!(run(&["--instances", "2", "--redis", "--duplicate"]).is_err());
    assert!(run(&["--scenario", "kill"]).is_err(), "needs --instances 2");
    assert!(run(&["--instances", "2", "--redis", "--scenario", "nope"]).is_err());
    for probe in ["stall", "rotation", "large"] {
        let Ok(Command::Run(o)) = run(&["--instances", "2", "--redis", "--scenario", probe]) else {
            panic!("{probe} should parse");
        };
        assert!(o
            .scenarios
            .iter()
            .all(|s| s.is_probe() && s.name() == probe));
    }
    assert!(run(&["--instances", "2", "--redis", "--time-limit", "0"]).is_err());
    assert!(run(&["--instances", "2", "--redis", "--outage-secs", "x"]).is_err());
    assert!(run(&["--redis=yes"]).is_err());
}

#[test]
fn stores_and_deferred() {
    let store = |args: &[&str]| match run(args) {
        Ok(Command::Run(o)) => Ok((o.store, o.deferred)),
        Ok(Command::Help) => Err("help".to_owned()),
        Err(e) => Err(e),
    };
    assert_eq!(store(&[]), Ok((StoreChoice::Memory, false)));
    assert_eq!(
        store(&["--store", "sqlite"]),
        Ok((StoreChoice::Sqlite, false))
    );
    assert_eq!(
        store(&["--store=sqlite", "--deferred"]),
        Ok((StoreChoice::Sqlite, true))
    );
    assert_eq!(
        store(&["--deferred", "--store", "memory"]),
        Ok((StoreChoice::Memory, true))
    );
    assert_eq!(
        store(&["--store", "redis"]),
        Ok((StoreChoice::Redis, false))
    );
    assert_eq!(
        store(&["--redis", "--store", "redis"]),
        Ok((StoreChoice::Redis, false)),
        "--redis is --store redis"
    );
    let Ok(Command::Run(o)) = run(&["--store", "redis", "--instances", "2"]) else {
        panic!("--store redis is enough for two instances");
    };
    assert_eq!(o.instances, 2);
    let Ok(Command::Run(o)) = run(&["--deferred", "--time-limit", "30"]) else {
        panic!("should parse");
    };
    assert_eq!(o.time_limit, Duration::from_secs(30));
    assert!(run(&["--store", "postgres"]).is_err());
    assert!(run(&["--store"]).is_err());
    assert!(run(&["--redis", "--store", "sqlite"]).is_err());
    assert!(run(&["--store", "sqlite", "--store", "memory"]).is_err());
    assert!(run(&["--deferred=yes"]).is_err());
    assert!(run(&["--instances", "2", "--store", "sqlite"]).is_err());
}

#[test]
fn deferred_on_two_instances_runs_steady_only() {
    for args in [
        &["--instances", "2", "--redis", "--deferred"][..],
        &["--deferred", "--store=redis", "--instances=2"],
        &[
            "--instances",
            "2",
            "--redis",
            "--deferred",
            "--scenario",
            "steady",
        ],
        &[
            "--scenario=steady",
            "--deferred",
            "--redis",
            "--instances",
            "2",
        ],
    ] {
        let Ok(Command::Run(o)) = run(args) else {
            panic!("{args:?} should parse");
        };
        assert_eq!(
            (o.instances, o.store, o.deferred),
            (2, StoreChoice::Redis, true)
        );
        assert_eq!(o.scenarios, vec![Scenario::Steady], "{args:?}");
    }
    let Ok(Command::Run(o)) = run(&[
        "--instances",
        "2",
        "--redis",
        "--deferred",
        "--fail-once",
        "0.05",
        "--time-limit",
        "60",
    ]) else {
        panic!("should parse");
    };
    assert_eq!(o.fail_once, Some(0.05));
    assert_eq!(o.time_limit, Duration::from_secs(60));
    for scenario in ["all", "redis-outage", "kill", "stall", "rotation", "large"] {
        assert!(
            run(&[
                "--instances",
                "2",
                "--redis",
                "--deferred",
                "--scenario",
                scenario
            ])
            .is_err(),
            "--deferred with --scenario {scenario}"
        );
    }
    assert!(
        run(&["--instances", "2", "--deferred"]).is_err(),
        "needs --redis"
    );
    assert!(run(&["--instances", "2", "--store", "sqlite", "--deferred"]).is_err());
    assert!(run(&["--instances", "2", "--redis", "--deferred", "--duplicate"]).is_err());
    assert!(
        run(&["--deferred", "--scenario", "steady"]).is_err(),
        "needs --instances 2"
    );
}

#[test]
fn bad_values_are_refused() {
    assert!(run(&["--webhooks", "0"]).is_err());
    assert!(run(&["--concurrency"]).is_err());
    assert!(run(&["--fail-once", "0"]).is_err());
    assert!(run(&["--fail-once", "1.5"]).is_err());
    assert!(run(&["--nope"]).is_err());
}
