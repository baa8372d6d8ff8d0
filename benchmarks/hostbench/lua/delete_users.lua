-- DELETE /Users/<id> of the seeded users reserved for deletion, each exactly once (threads take turns).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local first = tonumber(os.getenv("BENCH_DELETE_FROM"))
local total = tonumber(os.getenv("BENCH_DELETE_COUNT"))
local k = 0

function init(args)
  quota = math.min(quota, math.floor((total - 1 - tid) / nthreads) + 1)
end

function request()
  if k >= quota then return idle_request() end
  local i = first + tid + k * nthreads
  return wrk.format("DELETE", prefix .. "/Users/" .. seeded_user_id(i))
end

function response(status, headers, body)
  k = k + 1
  check(status == 204, status, body)
end
