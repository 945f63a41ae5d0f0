-- wrk request generator for the write harness (scripts/bench-writes.sh). Environment:
--   ROUTE    adjust (POST /skus/:id/adjustments at a random SKU) | hot (all on HOT_SKU)
--            | sku (GET /skus/:id at a random SKU: the read reference of the same instance)
--   MAX_SKU  SKU ids are drawn from 1..MAX_SKU
--   HOT_SKU  the SKU of the hot run (default 1)
--   TOKEN    a bearer token with inventory:write
--   DELAY_MS if set, each connection waits this long before each request
--            (wrk's delay()), to pace adjustments beside a read load
-- On random SKUs each thread alternates delta -1 and +1, so stock neither
-- runs out nor grows (a sale that meets an empty SKU is a 409, counted in
-- non_2xx); the hot run only sells (delta -1), for the harness to check.
-- done() prints one JSON line with throughput, latency percentiles and errors.
local route = os.getenv("ROUTE") or "adjust"
local max_sku = tonumber(os.getenv("MAX_SKU") or "1000")
local hot_sku = tonumber(os.getenv("HOT_SKU") or "1")
local token = os.getenv("TOKEN") or ""
local sign = 1

local delay_ms = tonumber(os.getenv("DELAY_MS") or "0")
if delay_ms > 0 then
  function delay() return delay_ms end
end

function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

function request()
  if route == "sku" then
    return wrk.format("GET", "/skus/" .. math.random(1, max_sku))
  end
  local sku = route == "hot" and hot_sku or math.random(1, max_sku)
  sign = route == "hot" and -1 or -sign
  local headers = {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}
  return wrk.format("POST", "/skus/" .. sku .. "/adjustments", headers, '{"delta":' .. sign .. ',"reason":"bench"}')
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    '{"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"socket_errors":%d,"non_2xx":%d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, errors, summary.errors.status))
end
