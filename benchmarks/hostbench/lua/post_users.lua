-- POST /Users with core and enterprise attributes; each thread creates post-<tid>-<n>@contoso.com.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local tag = os.getenv("BENCH_TAG") or "post"
local n = 0

function request()
  local login = tag .. "-" .. tid .. "-" .. (n + 1) .. "@contoso.com"
  return wrk.format("POST", prefix .. "/Users", nil, user_body(login, n + 1))
end

function response(status, headers, body)
  n = n + 1
  check(status == 201 and resource_id(body) ~= nil, status, body)
end
