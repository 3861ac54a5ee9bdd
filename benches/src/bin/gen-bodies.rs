//! Writes distinct signed Pusher webhooks for `scripts/http-bench.sh`, one per line:
//! `<signature> <body>`, where the signature is the lowercase hex HMAC-SHA256 of the body.
//!
//! ```text
//! gen-bodies --count 200000 --events 1 --out /tmp/bodies.txt
//!     [--secret demo-secret] [--time-ms <ms>] [--channels 1000]
//! ```
//!
//! Body `i` is created at `time-ms - i` (default: now), so all bodies are distinct and, with
//! 200,000 of them, fresh for more than 6 minutes under pwh's default 10 minute max age. The
//! events are the mix of `pwh_bench::body` on a bounded number of channels, so that the
//! example apps' state stays small.

use std::io::{BufWriter, Write};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

struct Args {
    count: usize,
    events: usize,
    secret: String,
    time_ms: u64,
    channels: usize,
    out: String,
}

fn parse_args() -> Result<Args, String> {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_millis();
    let mut args = Args {
        count: 200_000,
        events: 1,
        secret: pwh_bench::SECRET.to_owned(),
        time_ms: u64::try_from(now_ms).map_err(|e| e.to_string())?,
        channels: 1_000,
        out: String::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let number = |v: &str| {
            v.parse::<u64>()
                .map_err(|_| format!("{flag} {v}: not a number"))
        };
        match flag.as_str() {
            "--count" => args.count = number(&value)? as usize,
            "--events" => args.events = number(&value)? as usize,
            "--secret" => args.secret = value,
            "--time-ms" => args.time_ms = number(&value)?,
            "--channels" => args.channels = number(&value)? as usize,
            "--out" => args.out = value,
            other => return Err(format!("unknown option {other}")),
        }
    }
    if args.out.is_empty() {
        return Err("--out FILE is required".into());
    }
    if args.count as u64 > args.time_ms {
        return Err("--count must not exceed --time-ms".into());
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("gen-bodies: {e}\nusage: gen-bodies --count N --events E --out FILE [--secret S] [--time-ms MS] [--channels C]");
            return ExitCode::FAILURE;
        }
    };
    // pwh's default memory (the example and noop apps'): more distinct bodies than it has room
    // for, and the apps forget complete bodies before their max age.
    let room = pwh_core::delivery::MemoryLog::DEFAULT_BYTES
        / pwh_core::delivery::MemoryLog::BYTES_PER_BODY;
    if args.count > room {
        eprintln!(
            "gen-bodies: {} bodies are more than pwh's default redelivery memory has room for \
             ({room}): the apps will forget bodies early",
            args.count
        );
    }
    let write = || -> std::io::Result<()> {
        let mut out = BufWriter::new(std::fs::File::create(&args.out)?);
        for i in 0..args.count {
            let body = pwh_bench::body(i, args.events, args.time_ms - i as u64, args.channels);
            let signature = pwh_bench::sign(&args.secret, &body);
            out.write_all(signature.as_bytes())?;
            out.write_all(b" ")?;
            out.write_all(&body)?;
            out.write_all(b"\n")?;
        }
        out.flush()
    };
    match write() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gen-bodies: cannot write {}: {e}", args.out);
            ExitCode::FAILURE
        }
    }
}
