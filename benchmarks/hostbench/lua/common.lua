-- Shared by every workload script (loaded with dofile). One connection per wrk thread, so each thread's
-- response() answers its own last request(). request() must not change state: wrk calls it once more in the
-- first thread to check the script; scripts advance in response(). Settings come from BENCH_* environment variables.
-- Each thread counts responses that are not what the workload expects ("unexpected") and writes the first
-- one to <markers>/bad-<tid>; when a thread reaches its quota it writes <markers>/done-<tid> and stops.

prefix = os.getenv("BENCH_PREFIX")
markers = os.getenv("BENCH_MARKERS")
quota = tonumber(os.getenv("BENCH_QUOTA") or "1000000000")
nthreads = tonumber(os.getenv("BENCH_THREADS"))
tid = 0
answered = 0
bad = 0
counters = {}
finished = false
idle = false

wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.headers["Content-Type"] = "application/scim+json"
wrk.headers["Accept"] = "application/scim+json"

local threads = {}
local next_tid = 0

function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() * 1000 + tid * 7919)
end

function count(name, n)
  counters[name] = (counters[name] or 0) + (n or 1)
end

function finish()
  finished = true
  local f = io.open(markers .. "/done-" .. tid, "w")
  f:close()
  wrk.thread:stop()
end

-- Record one response: `ok` says whether it is what the workload expects.
function check(ok, status, body)
  if finished then return end -- wrk may send one more request after stop(): not part of the workload
  if idle then finish(); return end -- the answer to idle_request(): the work was done
  answered = answered + 1
  if not ok then
    bad = bad + 1
    if bad == 1 then
      local f = io.open(markers .. "/bad-" .. tid, "w")
      f:write(tostring(status), "\n", string.sub(body or "", 1, 2000))
      f:close()
    end
  end
  if answered >= quota then
    finish()
  end
end

-- What a thread sends once its work is done (wrk may ask for a request after stop(), or one more than
-- answered when it had to reconnect); its answer ends the thread.
function idle_request()
  idle = true
  return wrk.format("GET", prefix .. "/Users?filter=userName%20eq%20%22idle%22")
end

function total_results(body, n)
  return string.find(body, '"totalResults":%s*' .. n .. "[,}]") ~= nil
end

function resource_id(body)
  return string.match(body, '"id":%s*"([^"]+)"')
end

function seeded_user_id(i)
  return string.format("00000000-0000-4000-8000-%012d", i)
end

function user_body(login, n)
  return '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",'
    .. '"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],'
    .. '"userName":"' .. login .. '","externalId":"x-' .. login .. '","active":true,'
    .. '"displayName":"Bench User ' .. n .. '","title":null,"roles":[],'
    .. '"name":{"givenName":"Bench","familyName":"User' .. n .. '"},'
    .. '"emails":[{"type":"work","value":"' .. login .. '","primary":true}],'
    .. '"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":'
    .. '{"department":"Sales","employeeNumber":"' .. n .. '","costCenter":"CC7","organization":"Contoso"}}'
end

function random_guid()
  return string.format("%08x-%04x-4%03x-a%03x-%06x%06x", math.random(0, 0x7fffffff), math.random(0, 0xffff),
    math.random(0, 0xfff), math.random(0, 0xfff), math.random(0, 0xffffff), math.random(0, 0xffffff))
end

function done(summary, latency, requests)
  local unexpected = 0
  local sums = {}
  for _, t in ipairs(threads) do
    unexpected = unexpected + (t:get("bad") or 0)
    local c = t:get("counters") or {}
    for k, v in pairs(c) do sums[k] = (sums[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(sums) do table.insert(parts, string.format('"%s":%d', k, v)) end
  local e = summary.errors
  local p = function(q) if summary.requests > 0 then return latency:percentile(q) else return 0 end end
  local f = io.open(os.getenv("BENCH_OUT"), "w")
  f:write(string.format(
    '{"requests":%d,"duration_us":%d,"socket_errors":%d,"timeouts":%d,"http_errors":%d,"unexpected":%d,'
      .. '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"counters":{%s}}',
    summary.requests, summary.duration, e.connect + e.read + e.write, e.timeout, e.status, unexpected,
    p(50), p(90), p(99), latency.max, table.concat(parts, ",")))
  f:close()
end
