-- One group growing to BENCH_GROUP_MEMBERS members: POST /Groups, then PATCHes adding 100 seeded users each
-- (one connection: Entra sends one object's changes in order).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local members = tonumber(os.getenv("BENCH_GROUP_MEMBERS"))
local group = nil
local added = 0

local function add_members()
  local values = {}
  for i = added, math.min(added + 100, members) - 1 do
    table.insert(values, '{"$ref":null,"value":"' .. seeded_user_id(i) .. '"}')
  end
  local body = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":['
    .. '{"op":"Add","path":"members","value":[' .. table.concat(values, ",") .. ']}]}'
  return wrk.format("PATCH", prefix .. "/Groups/" .. group, nil, body), #values
end

local pending = 0

function request()
  if group == nil then
    local body = '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],'
      .. '"displayName":"Growing group ' .. os.time() .. '","externalId":"growing"}'
    return wrk.format("POST", prefix .. "/Groups", nil, body)
  end
  if added >= members then return idle_request() end
  local req
  req, pending = add_members()
  return req
end

function response(status, headers, body)
  if group == nil then
    group = resource_id(body)
    check(status == 201 and group ~= nil, status, body)
    if group == nil then finish() end
    return
  end
  added = added + pending
  count("members_added", pending)
  local ok = status == 204 or status == 200
  if added >= members or not ok then quota = answered + 1 end
  check(ok, status, body)
end
