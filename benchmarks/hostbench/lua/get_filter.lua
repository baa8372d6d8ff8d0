-- GET /Users?filter=userName eq "<a random seeded user>": must find exactly one.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local live = tonumber(os.getenv("BENCH_LIVE"))

function request()
  local i = math.random(0, live - 1)
  return wrk.format("GET", prefix .. "/Users?filter=userName%20eq%20%22user" .. i .. "%40contoso.com%22")
end

function response(status, headers, body)
  check(status == 200 and total_results(body, 1), status, body)
end
