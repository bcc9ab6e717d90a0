-- wrk script: random 1 MiB Range requests over a file of FILE_SIZE bytes.
-- Env: FILE_SIZE (required), CHUNK (bytes, default 1048576), AUTH (bearer token, optional).
-- No response() callback on purpose: it makes wrk keep every body in Lua, which costs more
-- than the server under test. Status checks are done once with curl before the run.
local size = tonumber(os.getenv("FILE_SIZE"))
local chunk = tonumber(os.getenv("CHUNK") or "1048576")
local token = os.getenv("AUTH")
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end

function init(args)
  math.randomseed(os.time() * 1000 + (id or 0))
end

function request()
  local a = math.random(0, size - chunk)
  -- As a browser's audio element asks: any Accept-Encoding at all sends a request through
  -- compression middleware, if the server has one on that path.
  local h = { ["Range"] = "bytes=" .. a .. "-" .. (a + chunk - 1), ["Accept-Encoding"] = "identity;q=1, *;q=0" }
  if token and token ~= "" then h["Authorization"] = "Bearer " .. token end
  return wrk.format("GET", nil, h)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d bytes=%d seconds=%.3f p50_ms=%.3f p99_ms=%.3f " ..
    "errors=%d non2xx=%d\n", summary.requests, summary.bytes, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout, e.status))
end
