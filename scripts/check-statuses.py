#!/usr/bin/env python3
"""Starts an example app (release binary, argv[1]) on 127.0.0.1:<argv[2]> with its demo
credentials replaced through the environment, sends it real signed requests, and checks each
status against the HTTP contract of DESIGN.md. Exits 1 on any difference.

    cargo build --release -p example-axum
    scripts/check-statuses.py target/release/example-axum 4571
"""
import hashlib, hmac, json, os, signal, subprocess, sys, tempfile, time, urllib.request
port = int(sys.argv[2])
env = dict(os.environ, PUSHER_APP_KEY="live-key", PUSHER_APP_SECRET="live-secret",
           PUSHER_EXTRA_TOKENS="rotated-key:rotated-secret", PWH_ADDR=f"127.0.0.1:{port}", RUST_LOG="warn")
app = subprocess.Popen([sys.argv[1]], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
for _ in range(100):
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/state", timeout=1); break
    except Exception: time.sleep(0.1)
def send(method, body, key=None, secret=None, sig=None):
    headers = {"Content-Type": "application/json"}
    if key: headers["X-Pusher-Key"] = key
    if sig is None and secret: sig = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if sig is not None: headers["X-Pusher-Signature"] = sig
    req = urllib.request.Request(f"http://127.0.0.1:{port}/pusher/webhooks", data=body if method == "POST" else None, headers=headers, method=method)
    try: return urllib.request.urlopen(req, timeout=5).status
    except urllib.error.HTTPError as e: return e.code
def big():
    big_path = os.path.join(tempfile.mkdtemp(), "big.bin")
    open(big_path, "wb").write(b"x" * (2 << 20))
    out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H", "X-Pusher-Key: live-key",
        "-H", "X-Pusher-Signature: " + "ab" * 32, "--data-binary", "@" + big_path, f"http://127.0.0.1:{port}/pusher/webhooks"], capture_output=True, text=True)
    return int(out.stdout or 0)
now = int(time.time() * 1000)
ok = json.dumps({"time_ms": now, "events": [{"name": "channel_occupied", "channel": "env-check"}]}).encode()
cases = [
  ("valid, main token", send("POST", ok, "live-key", "live-secret"), 200),
  ("valid, extra token", send("POST", json.dumps({"time_ms": now + 1, "events": [{"name": "channel_vacated", "channel": "env-check"}]}).encode(), "rotated-key", "rotated-secret"), 200),
  ("demo credentials no longer accepted", send("POST", ok, "demo-key", "demo-secret"), 401),
  ("wrong signature", send("POST", ok, "live-key", sig="ab" * 32), 401),
  ("stale (20 min old)", send("POST", json.dumps({"time_ms": now - 1_200_000, "events": []}).encode(), "live-key", "live-secret"), 401),
  ("signed but not a webhook", send("POST", b'{"time_ms":1}', "live-key", "live-secret"), 400),
  ("2 MiB body", big(), 413),
  ("GET", send("GET", b"", "live-key"), 405),
]
try:
    state = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/state"))
finally:
    app.send_signal(signal.SIGTERM)
    app.wait(10)
bad = 0
for name, got, want in cases:
    print(f"{name:40} {got} (want {want})"); bad += got != want
print("state handled:", state["handled"], "exit:", app.returncode)
sys.exit(1 if bad else 0)
