-- PATCH /Users/<id> replacing three attributes (Entra's capitalised ops); each thread patches its own slice of
-- the seeded users, so no two connections update the same row at once.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local live = tonumber(os.getenv("BENCH_LIVE"))
local n = 0

function request()
  local slice = math.floor(live / nthreads)
  local i = tid * slice + math.random(0, slice - 1)
  local body = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":['
    .. '{"op":"Replace","path":"title","value":"Title ' .. n .. '"},'
    .. '{"op":"Replace","path":"name.familyName","value":"Family ' .. n .. '"},'
    .. '{"op":"Replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",'
    .. '"value":"Dept ' .. (n % 40) .. '"}]}'
  return wrk.format("PATCH", prefix .. "/Users/" .. seeded_user_id(i), nil, body)
end

function response(status, headers, body)
  n = n + 1
  check(status == 200 or status == 204, status, body)
end
