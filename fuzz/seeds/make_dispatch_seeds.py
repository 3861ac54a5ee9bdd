#!/usr/bin/env python3
"""Writes the seeds of the `dispatch` fuzz target into fuzz/seeds/dispatch/ (the input layout is
in fuzz/contract/dispatch.rs). Each file is named `<what it must come to>--<what it is>`, where
the first part is the refusal's label, `handled` or `replayed`: tests/tests/fuzz_contract.rs
runs them in name order through one harness and checks both the contract and that name.

    python3 fuzz/seeds/make_dispatch_seeds.py
"""
import os
import struct

NOW = 1_327_078_149_132  # NOW_MS
MAX = 600_000  # MAX_AGE_MS
U64_MAX = 2**64 - 1
KEY0 = "278d425bdf160c739803"

# Byte 0: method; 1: key; 2: signature; 3: dispatcher (0 max age + memory, 1 plain, 2 64-byte
# limit; 0x80: the clock's 8 bytes follow).
POST, GET, FUZZED_METHOD = 0, 2, 3
KEY0_SEL, KEY1_SEL, NO_KEY, FUZZED_KEY, LOWER = 0, 3, 4, 5, 0x80
SIGNED, PADDED, NO_SIG, OTHER_TOKEN, FUZZED_SIG = 0, 0x10, 2, 0x22, 3
MEMORY, PLAIN, SMALL, CLOCK = 0, 1, 2, 0x80


def one_event(time_ms, name="channel_occupied"):
    return ('{"time_ms":%d,"events":[{"channel":"test_channel","name":"%s"}]}' % (time_ms, name)).encode()


def string(s):
    b = s.encode() if isinstance(s, str) else s
    assert len(b) < 256
    return bytes([len(b)]) + b


def clock(now_ms):
    return struct.pack("<Q", now_ms)


BATCH = (
    '{"time_ms":%d,"events":[{"name":"channel_occupied","channel":"presence-caf\\u00e9-\\"q\\""},'
    '{"name":"member_added","channel":"presence-r","user_id":"42"},'
    '{"name":"client_event","channel":"private-c","event":"client-x","data":"{\\"a\\":1}","socket_id":"1.2"},'
    '{"name":"subscription_count","channel":"c","subscription_count":17},'
    '{"name":"future_kind","extra":{"nested":[1,2.5,-3e2,null,true]}}]}' % NOW
).encode()

SEEDS = {
    "handled--fresh-one-event": bytes([POST, KEY0_SEL, SIGNED, MEMORY]) + one_event(NOW),
    "replayed--the-same-body-again": bytes([1, KEY0_SEL, SIGNED, MEMORY]) + one_event(NOW),
    "handled--second-token": bytes([POST, KEY1_SEL, SIGNED, PLAIN]) + one_event(NOW),
    "handled--uppercase-padded-signature-lowercase-names": bytes([POST, KEY0_SEL | LOWER, PADDED, PLAIN]) + one_event(NOW),
    "handled--at-the-max-age": bytes([POST, KEY0_SEL, SIGNED, MEMORY]) + one_event(NOW - MAX),
    "handled--the-max-age-ahead": bytes([POST, KEY0_SEL, SIGNED, MEMORY]) + one_event(NOW + MAX),
    "handled--empty-events-small-limit": bytes([POST, KEY0_SEL, SIGNED, SMALL]) + b'{"time_ms":1,"events":[]}',
    "handled--64-bytes-at-the-small-limit": bytes([POST, KEY0_SEL, SIGNED, SMALL]) + b'{"time_ms":1,"events":[]}'.ljust(64),
    "handled--a-batch-of-kinds-and-escapes": bytes([POST, KEY0_SEL, SIGNED, PLAIN]) + BATCH,
    "handled--key-with-surrounding-space": bytes([POST, FUZZED_KEY, SIGNED, PLAIN]) + string(" %s\t" % KEY0) + one_event(NOW),
    "handled--clock-and-time_ms-at-u64-max": bytes([POST, KEY0_SEL, SIGNED, MEMORY | CLOCK]) + clock(U64_MAX) + one_event(U64_MAX),
    "stale--a-millisecond-past-the-max-age": bytes([POST, KEY0_SEL, SIGNED, MEMORY]) + one_event(NOW - MAX - 1),
    "stale--clock-at-u64-max": bytes([POST, KEY0_SEL, SIGNED, MEMORY | CLOCK]) + clock(U64_MAX) + one_event(0),
    "clock_skew--a-millisecond-further-ahead": bytes([POST, KEY0_SEL, SIGNED, MEMORY]) + one_event(NOW + MAX + 1),
    "clock_skew--time_ms-u64-max-clock-at-0": bytes([POST, KEY0_SEL, SIGNED, MEMORY | CLOCK]) + clock(0) + one_event(U64_MAX),
    "method_not_allowed--get": bytes([GET, KEY0_SEL, SIGNED, PLAIN]) + one_event(NOW),
    "method_not_allowed--a-long-method": bytes([FUZZED_METHOD, KEY0_SEL, SIGNED, PLAIN]) + string("PROPFIND-WITH-A-LONG-NAME-\u00e9\u00e9") + one_event(NOW),
    "method_not_allowed--lowercase-post": bytes([FUZZED_METHOD, KEY0_SEL, SIGNED, PLAIN]) + string("post") + one_event(NOW),
    "payload_too_large--65-bytes-over-the-small-limit": bytes([POST, KEY0_SEL, SIGNED, SMALL]) + b'{"time_ms":1,"events":[]}'.ljust(65),
    "missing_key--absent": bytes([POST, NO_KEY, SIGNED, PLAIN]) + one_event(NOW),
    "missing_key--blank": bytes([POST, FUZZED_KEY, SIGNED, PLAIN]) + string(" \t ") + one_event(NOW),
    "unknown_key--another-key": bytes([POST, FUZZED_KEY, SIGNED, PLAIN]) + string("not-a-known-key") + one_event(NOW),
    "unknown_key--the-key-with-a-no-break-space": bytes([POST, FUZZED_KEY, SIGNED, PLAIN]) + string("\u00a0" + KEY0) + one_event(NOW),
    "missing_signature--absent": bytes([POST, KEY0_SEL, NO_SIG, PLAIN]) + one_event(NOW),
    "missing_signature--blank": bytes([POST, KEY0_SEL, FUZZED_SIG, PLAIN]) + string("  ") + one_event(NOW),
    "malformed_signature--63-digits": bytes([POST, KEY0_SEL, FUZZED_SIG, PLAIN]) + string("0" * 63) + one_event(NOW),
    "malformed_signature--not-hex": bytes([POST, KEY0_SEL, FUZZED_SIG, PLAIN]) + string("z" * 64) + one_event(NOW),
    "malformed_signature--64-bytes-not-ascii": bytes([POST, KEY0_SEL, FUZZED_SIG, PLAIN]) + string("\u00e9" * 32) + one_event(NOW),
    "signature_mismatch--the-other-tokens-secret": bytes([POST, KEY0_SEL, OTHER_TOKEN, PLAIN]) + one_event(NOW),
    "signature_mismatch--64-zeros": bytes([POST, KEY0_SEL, FUZZED_SIG, PLAIN]) + string("0" * 64) + one_event(NOW),
    "malformed--empty-input": b"",
    "malformed--truncated-json": bytes([POST, KEY0_SEL, SIGNED, PLAIN]) + b'{"time_ms":',
    "malformed--not-utf8": bytes([POST, KEY0_SEL, SIGNED, PLAIN]) + b'{"time_ms":1,"events":[],"x":"\xff"}',
    "malformed--event-without-name": bytes([POST, KEY0_SEL, SIGNED, PLAIN]) + b'{"time_ms":1,"events":[{"channel":"c"}]}',
    "malformed--negative-time_ms": bytes([POST, KEY0_SEL, SIGNED, PLAIN]) + b'{"time_ms":-1,"events":[]}',
    "malformed--time_ms-beyond-u64": bytes([POST, KEY0_SEL, SIGNED, PLAIN]) + b'{"time_ms":18446744073709551616,"events":[]}',
    "handled--a-number-beyond-f64-in-an-ignored-field": bytes([POST, KEY0_SEL, SIGNED, PLAIN]) + b'{"x":1e400,"time_ms":5,"events":[]}',
    "malformed--duplicate-time_ms": bytes([POST, KEY0_SEL, SIGNED, PLAIN]) + b'{"time_ms":1,"time_ms":2,"events":[]}',
    "handled--nested-deeper-than-serde-json-reads": bytes([POST, KEY0_SEL, SIGNED, PLAIN]) + b'{"time_ms":1,"events":[{"name":"x","d":' + b"[" * 200 + b"]" * 200 + b"}]}",
    "malformed--top-level-array": bytes([POST, KEY0_SEL, SIGNED, PLAIN]) + b'[{"time_ms":1,"events":[]}]',
}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dispatch")
os.makedirs(out, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
print(f"wrote {len(SEEDS)} seeds into fuzz/seeds/dispatch")
