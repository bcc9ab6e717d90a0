-- wrk script for the scale benchmark: each connection takes the request paths of the file named by
-- PATHS in turn, each thread from its own starting point; THINK_MS (optional) waits between one
-- connection's requests (a listener typing), drawn each time between half and one and a half times
-- THINK_MS: with the same wait every time, connections that opened together stay in step and their
-- requests arrive in bursts of 32 (the last waits for the 31 before it), which people typing and
-- paging do not do; THINK_FIXED=1 waits exactly THINK_MS, as this script did until session 17;
-- SILLON_TOKEN (optional) is sent as a bearer token;
-- ACCEPT_ENCODING (optional) as Accept-Encoding, as clients' HTTP libraries do (a compressed
-- answer's body is then not searched for a failure: only its status counts).
-- Prints one JSON line at the end: requests, req/s, p50/p90/p99/max in ms, errors (a status other
-- than 200, or a Subsonic "failed" answer).
local paths, think, token, encoding = {}, tonumber(os.getenv("THINK_MS") or "0"), os.getenv("SILLON_TOKEN"), os.getenv("ACCEPT_ENCODING")
if encoding == "" then encoding = nil end
for line in io.lines(os.getenv("PATHS")) do if #line > 0 then paths[#paths + 1] = line end end
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  threads[#threads + 1] = thread
end

function init(args)
  i = (id * 7919) % #paths
  errors = 0
  math.randomseed(id * 104729 + 17)
end

function request()
  i = i % #paths + 1
  local headers = {}
  if token then headers["Authorization"] = "Bearer " .. token end
  if encoding then headers["Accept-Encoding"] = encoding end
  return wrk.format("GET", paths[i], headers)
end

local fixed = os.getenv("THINK_FIXED") == "1"
if think > 0 then
  function delay()
    if fixed then return think end
    return math.floor(think * (0.5 + math.random()))
  end
end

function response(status, headers, body)
  if status ~= 200 or (not encoding and body and string.find(body, '"status":"failed"', 1, true)) then errors = errors + 1 end
end

function done(summary, latency, requests)
  local bad = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  for _, t in ipairs(threads) do bad = bad + t:get("errors") end
  io.write(string.format('{"requests": %d, "rps": %d, "p50": %.1f, "p90": %.1f, "p99": %.1f, "max": %.1f, "errors": %d}\n',
    summary.requests, summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, bad))
end
