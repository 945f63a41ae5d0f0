-- wrk request generator for the catalog. Environment:
--   ROUTE   styles | product | related | list | first | deep | mixed
--           (list: a random deep page; first: page 1; deep: the same page near the end every time)
--   MAX_ID  ids are drawn from 1..MAX_ID (the whole range: the cold, honest case)
--   HOT     if > 0, ids are drawn from a fixed set of HOT ids (the sale-day case)
--   COUNT_5XX  if set, also count 5xx answers (server_errors in the JSON line); off by
--              default, as a per-response callback costs wrk some throughput
-- The routes, their URL shapes and the mixed profile's weights are read from
-- scripts/load/routes.txt (ROUTES_FILE), shared with urls.py.
-- done() prints one JSON line with throughput, latency percentiles and errors.
local route = os.getenv("ROUTE") or "styles"
local max_id = tonumber(os.getenv("MAX_ID") or "1000")
local hot = tonumber(os.getenv("HOT") or "0")
local hot_ids = {}
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
  if hot > 0 then
    local set = math.random(1, 2^30)
    math.randomseed(12345) -- the same hot set in every thread and run
    for i = 1, hot do hot_ids[i] = math.random(1, max_id) end
    math.randomseed(set)
  end
end

local function id()
  if hot > 0 then return hot_ids[math.random(1, hot)] end
  return math.random(1, max_id)
end

-- name -> path template, and the mixed profile's cumulative weights.
local shapes, mix, total = {}, {}, 0
for line in io.lines(os.getenv("ROUTES_FILE") or "scripts/load/routes.txt") do
  local name, weight, template = line:match("^(%w+)%s+(%d+)%s+(%S+)$")
  if name then
    shapes[name] = template
    total = total + tonumber(weight)
    table.insert(mix, {total, name})
  end
end

local function path(kind)
  local template = shapes[kind] or shapes.styles
  template = template:gsub("{page}", function() return tostring(math.random(1, math.floor(max_id / 5))) end)
  return (template:gsub("{id}", function() return tostring(id()) end))
end

function request()
  local kind = route
  if route == "mixed" then
    local r = math.random(1, total)
    for _, entry in ipairs(mix) do
      if r <= entry[1] then kind = entry[2] break end
    end
  elseif route == "static" then
    return wrk.format("GET", "/styles.json")
  elseif route == "first" then
    return wrk.format("GET", "/products?page=1&count=5")
  elseif route == "deep" then
    return wrk.format("GET", "/products?page=" .. math.floor(max_id / 5) - 1 .. "&count=5")
  end
  return wrk.format("GET", path(kind))
end

server_errors = 0
if os.getenv("COUNT_5XX") then
  function response(status, headers, body)
    if status >= 500 then server_errors = server_errors + 1 end
  end
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  local fives = ""
  if os.getenv("COUNT_5XX") then
    local count = 0
    for _, thread in ipairs(threads) do count = count + thread:get("server_errors") end
    fives = string.format(',"server_errors":%d', count)
  end
  io.write(string.format(
    '{"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"socket_errors":%d,"non_2xx":%d%s}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, errors, summary.errors.status, fives))
end
