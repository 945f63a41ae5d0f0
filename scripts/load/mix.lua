-- wrk request generator of a read/write mix: the reads of profile.lua (its
-- environment: ROUTE, MAX_ID, HOT, ...) and, with chance WRITE_PCT percent
-- (default 5), a sale or restock of a random SKU in 1..MAX_SKU with TOKEN
-- (inventory:write), delta alternating -1 and +1 per thread so stock neither
-- runs out nor grows. done() is profile.lua's: one JSON line.
dofile("scripts/load/profile.lua")
local read_request = request
local write_pct = tonumber(os.getenv("WRITE_PCT") or "5")
local max_sku = tonumber(os.getenv("MAX_SKU") or "1000")
local token = os.getenv("TOKEN") or ""
local write_headers = {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}
local sign = 1

function request()
  if math.random() * 100 >= write_pct then return read_request() end
  sign = -sign
  return wrk.format("POST", "/skus/" .. math.random(1, max_sku) .. "/adjustments", write_headers,
    '{"delta":' .. sign .. ',"reason":"mix"}')
end
