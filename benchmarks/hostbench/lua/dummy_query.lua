-- Entra's test-connection and start-of-cycle query: a user that cannot exist; must be an empty ListResponse.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")

function request()
  return wrk.format("GET", prefix .. "/Users?filter=userName%20eq%20%22" .. random_guid() .. "%22")
end

function response(status, headers, body)
  check(status == 200 and total_results(body, 0), status, body)
end
