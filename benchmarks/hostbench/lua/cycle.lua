-- Entra's initial cycle, end to end. For each user: the match query (a miss), POST, GET by id. Then for each
-- group: the match query (a miss), POST with no members, and PATCHes adding up to 100 members each. Thread t
-- handles users and groups j with j % threads == t, and puts its own users into its own groups.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local users = tonumber(os.getenv("BENCH_CYCLE_USERS"))
local groups = tonumber(os.getenv("BENCH_CYCLE_GROUPS"))
local tag = os.getenv("BENCH_TAG") or "cycle"

local state = "user_match"
local j = nil -- current user or group number
local created = {} -- ids of this thread's users
local my_groups = 0
local group_no = 0 -- 0-based among this thread's groups
local group_id = nil
local chunk = {}
local member_pos = 0

function init(args)
  j = tid
  my_groups = math.max(math.floor((groups - 1 - tid) / nthreads) + 1, 0)
  if j >= users then state = "group_match"; j = tid end
  quota = 1000000000
end

local function login(n) return tag .. "-" .. n .. "@contoso.com" end
local function group_name(n) return tag .. "-group-" .. n end

local function next_members()
  -- this thread's users at positions p with p % my_groups == group_no, 100 at a time
  chunk = {}
  while member_pos < #created and #chunk < 100 do
    member_pos = member_pos + 1
    if (member_pos - 1) % my_groups == group_no then
      table.insert(chunk, '{"$ref":null,"value":"' .. created[member_pos] .. '"}')
    end
  end
  return #chunk > 0
end

local function next_group()
  j = j + nthreads
  group_no = group_no + 1
  if j >= groups then
    state = "done"
    quota = answered + 1
  else
    state = "group_match"
  end
end

function request()
  if state == "user_match" then
    return wrk.format("GET", prefix .. "/Users?filter=userName%20eq%20%22" .. tag .. "-" .. j .. "%40contoso.com%22")
  elseif state == "user_create" then
    return wrk.format("POST", prefix .. "/Users", nil, user_body(login(j), j))
  elseif state == "user_read" then
    return wrk.format("GET", prefix .. "/Users/" .. created[#created])
  elseif state == "group_match" then
    return wrk.format("GET", prefix .. "/Groups?excludedAttributes=members&filter=displayName%20eq%20%22"
      .. group_name(j) .. "%22")
  elseif state == "group_create" then
    local body = '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group"],"displayName":"'
      .. group_name(j) .. '","externalId":"' .. group_name(j) .. '"}'
    return wrk.format("POST", prefix .. "/Groups", nil, body)
  elseif state == "done" then
    return idle_request()
  else -- group_members
    local body = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":['
      .. '{"op":"Add","path":"members","value":[' .. table.concat(chunk, ",") .. ']}]}'
    return wrk.format("PATCH", prefix .. "/Groups/" .. group_id, nil, body)
  end
end

local function after_user()
  j = j + nthreads
  if j < users then
    state = "user_match"
  elseif my_groups > 0 then
    state = "group_match"
    j = tid
  else
    state = "done"
    quota = answered + 1
  end
end

function response(status, headers, body)
  local ok = false
  if state == "user_match" then
    ok = status == 200 and total_results(body, 0)
    state = "user_create"
  elseif state == "user_create" then
    local id = resource_id(body)
    ok = status == 201 and id ~= nil
    if ok then
      table.insert(created, id)
      count("users_created")
      state = "user_read"
    else
      after_user()
    end
  elseif state == "user_read" then
    ok = status == 200
    after_user()
  elseif state == "group_match" then
    ok = status == 200 and total_results(body, 0)
    state = "group_create"
  elseif state == "group_create" then
    group_id = resource_id(body)
    ok = status == 201 and group_id ~= nil
    count("groups_created")
    member_pos = 0
    if ok and next_members() then state = "group_members" else next_group() end
  elseif state == "group_members" then
    ok = status == 204 or status == 200
    if ok then count("members_added", #chunk) end
    if next_members() then state = "group_members" else next_group() end
  end
  check(ok, status, body)
end
