-- POST the seeded users user<i>@contoso.com (0 <= i < BENCH_LIVE) through SCIM: how an in-memory server is filled.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local live = tonumber(os.getenv("BENCH_LIVE"))
local k = 0

function init(args)
  quota = math.floor((live - 1 - tid) / nthreads) + 1
end

function request()
  if k >= quota then return idle_request() end
  local i = tid + k * nthreads
  return wrk.format("POST", prefix .. "/Users", nil, user_body("user" .. i .. "@contoso.com", i))
end

function response(status, headers, body)
  k = k + 1
  check(status == 201, status, body)
end
