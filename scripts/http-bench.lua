-- wrk script of scripts/http-bench.sh: POSTs distinct, pre-signed Pusher webhooks.
--
--   wrk ... -s scripts/http-bench.lua http://127.0.0.1:PORT -- BODIES_FILE THREADS KEY [PATH]
--
-- BODIES_FILE has one webhook per line, `<hex signature> <json body>` (written by the
-- `gen-bodies` binary of the pwh-bench crate). Thread k of THREADS sends lines k, k+THREADS,
-- ... in a cycle, so no two threads send the same body and a body comes again only after all
-- the others. A body sent again is a replay (it runs nothing): the app's delivery memory (by
-- default a MemoryLog of 64 MiB, 120 bytes a body: about 559,000 bodies) forgets a body only
-- at its max age (10 minutes) unless it runs out of room. So http-bench.sh keeps BODIES
-- within that room and flags a run that sent more requests than BODIES: then every request is
-- a first delivery. Requests are formatted once, in init, before the timed run. At the end one line is printed for the shell script to read:
--   RESULT requests=.. duration_us=.. rps=.. p50_us=.. p99_us=.. status_errors=.. ...

local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  local file, threads, key = args[1], tonumber(args[2]), args[3]
  local path = args[4] or "/pusher/webhooks"
  if not (file and threads and key) then
    error("usage: -- BODIES_FILE THREADS KEY [PATH]")
  end
  requests = {}
  local line_no = 0
  for line in io.lines(file) do
    if line_no % threads == id then
      local signature, body = line:match("^(%x+) (.+)$")
      if signature then
        requests[#requests + 1] = wrk.format("POST", path, {
          ["Content-Type"] = "application/json",
          ["X-Pusher-Key"] = key,
          ["X-Pusher-Signature"] = signature,
        }, body)
      end
    end
    line_no = line_no + 1
  end
  if #requests == 0 then
    error("no webhooks for thread " .. id .. " in " .. file)
  end
  next_request = 0
end

function request()
  next_request = next_request % #requests + 1
  return requests[next_request]
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d duration_us=%d rps=%.1f p50_us=%d p99_us=%d status_errors=%d " ..
    "connect_errors=%d read_errors=%d write_errors=%d timeouts=%d\n",
    summary.requests, summary.duration, summary.requests / seconds,
    latency:percentile(50), latency:percentile(99), summary.errors.status,
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout))
end
