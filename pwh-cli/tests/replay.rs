//! `pwh replay` against the example app: a saved stale body sent again with `--fresh` runs the
//! handlers; the body exactly as delivered, replayed, is accepted without running them again.

mod common;

use common::{now_ms, pwh, temp_dir, Server};

#[test]
fn fresh_replays_run_the_handlers_and_exact_replays_do_not() {
    let server = Server::start();
    let url = server.url();
    let dir = temp_dir("replay");

    // A body captured an hour ago: past the app's max age (10 minutes).
    let old = dir.join("old.json");
    let hour_ago = now_ms() - 3_600_000;
    std::fs::write(
        &old,
        format!(
            r#"{{"time_ms":{hour_ago},"events":[{{"name":"cache_miss","channel":"cache-a"}}]}}"#
        ),
    )
    .unwrap();
    let old = old.to_str().unwrap();

    let stale = pwh(&["replay", old, "--url", &url]);
    assert_eq!((stale.http_status(), stale.code), (401, 1), "{stale:?}");
    assert!(stale.stderr.contains("--fresh"), "{stale:?}");
    assert_eq!(server.handled_total(), 0);

    // --fresh: time_ms now, re-signed; the exact bytes sent are saved.
    let sent = dir.join("sent.json");
    let sent = sent.to_str().unwrap();
    let fresh = pwh(&["replay", old, "--fresh", "--url", &url, "--save", sent]);
    assert_eq!((fresh.http_status(), fresh.code), (200, 0), "{fresh:?}");
    let state = server.state();
    assert_eq!(state["cache_misses"]["cache-a"], 1);
    assert_eq!(state["handled_total"], 1);
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(sent).unwrap()).unwrap();
    assert!(saved["time_ms"].as_u64().unwrap() > hour_ago);

    // The delivered body again (as Pusher retries): 200, and no handler runs twice.
    let again = pwh(&["replay", sent, "--url", &url]);
    assert_eq!((again.http_status(), again.code), (200, 0), "{again:?}");
    // With the signature given rather than recomputed, the same.
    let signature = pwh(&["sign", sent]).stdout;
    let signature = signature
        .lines()
        .nth(1)
        .unwrap()
        .split_once(": ")
        .unwrap()
        .1;
    let again = pwh(&["replay", sent, "--signature", signature, "--url", &url]);
    assert_eq!((again.http_status(), again.code), (200, 0), "{again:?}");
    let state = server.state();
    assert_eq!(state["cache_misses"]["cache-a"], 1);
    assert_eq!(state["handled_total"], 1);

    // A forged signature on the saved body is refused.
    let forged = pwh(&[
        "replay",
        sent,
        "--signature",
        &"0".repeat(64),
        "--url",
        &url,
    ]);
    assert_eq!((forged.http_status(), forged.code), (401, 1), "{forged:?}");
}

#[test]
fn send_save_then_replay_is_a_redelivery() {
    let server = Server::start();
    let url = server.url();
    let dir = temp_dir("send-save");
    let saved = dir.join("hook.json");
    let saved = saved.to_str().unwrap();
    let run = pwh(&[
        "send",
        "member_added",
        "--channel",
        "presence-x",
        "--user-id",
        "u1",
        "--url",
        &url,
        "--save",
        saved,
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(server.handled_total(), 1);
    let run = pwh(&["replay", saved, "--url", &url]);
    assert_eq!((run.http_status(), run.code), (200, 0), "{run:?}");
    assert_eq!(server.handled_total(), 1);
    // --fresh makes it a new delivery.
    let run = pwh(&["replay", saved, "--fresh", "--url", &url]);
    assert_eq!((run.http_status(), run.code), (200, 0), "{run:?}");
    assert_eq!(server.handled_total(), 2);
}
