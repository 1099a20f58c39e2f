-- One journey of the load benchmark (tests/bench/test_load.py), for wrk:
--
--   wrk -t2 -c8 -d5s --latency -s journey.lua http://127.0.0.1:PORT -- DATA.lua THREADS
--
-- DATA.lua returns { entries = { {m=, p=, h={...}, b=}, ... }, once = bool, expect = status,
-- location = prefix or nil }. Thread k of n sends entries k, k+n, k+2n… in order: once each
-- when `once` (a report created or validated per request), else round and round. Each answer
-- is counted as a success only with the expected status (and, for a redirect, the expected
-- place: a redirect to the login page is a failure). done() prints one line of JSON.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("tid", #threads)
end

function init(args)
   local data = dofile(args[1])
   local step = tonumber(args[2])
   once, expect, location = data.once, data.expect, data.location
   local entries, order = data.entries, {}
   if once then
      for i = tid, #entries, step do table.insert(order, i) end
   else
      -- Round and round all of them, each thread from its own place.
      for i = 0, #entries - 1 do table.insert(order, (i + tid - 1) % #entries + 1) end
   end
   mine = {}
   for _, i in ipairs(order) do
      local e = entries[i]
      table.insert(mine, wrk.format(e.m, e.p, e.h, e.b))
   end
   spare = wrk.format("GET", "/healthz")
   sent, answered, good, exhausted = 0, 0, 0, 0
   bad = {}
   sample = ""
   -- wrk asks the first thread for one request before the run, only to check its syntax:
   -- that one is shown, not sent, so it must not use up an entry.
   peeked = tid ~= 1
end

function request()
   if not peeked then
      peeked = true
      return mine[1] or spare
   end
   local n = #mine
   if n == 0 or (once and sent >= n) then
      exhausted = exhausted + 1
      return spare
   end
   sent = sent + 1
   return mine[(sent - 1) % n + 1]
end

function response(status, headers, body)
   answered = answered + 1
   local ok = status == expect
   if ok and location then
      local where = headers["Location"] or headers["location"] or ""
      ok = string.sub(where, 1, #location) == location
   end
   if ok then
      good = good + 1
   else
      local key = tostring(status)
      bad[key] = (bad[key] or 0) + 1
      if sample == "" then
         local where = headers["Location"] or ""
         sample = status .. " " .. where .. " " .. string.sub(body or "", 1, 400)
      end
   end
end

local function quote(s)
   s = string.gsub(s, '[%c"\\]', function(c)
      return string.format("\\u%04x", string.byte(c))
   end)
   return '"' .. s .. '"'
end

function done(summary, latency, requests)
   local per_thread, bad_all, first_sample = {}, {}, ""
   local totals = { sent = 0, answered = 0, good = 0, exhausted = 0 }
   for _, t in ipairs(threads) do
      for k, _ in pairs(totals) do
         totals[k] = totals[k] + t:get(k)
      end
      table.insert(per_thread, tostring(t:get("sent")))
      for status, count in pairs(t:get("bad")) do
         bad_all[status] = (bad_all[status] or 0) + count
      end
      if first_sample == "" then
         first_sample = t:get("sample")
      end
   end
   local bad_parts = {}
   for status, count in pairs(bad_all) do
      table.insert(bad_parts, quote(status) .. ":" .. count)
   end
   local e = summary.errors
   io.write(string.format(
      'LOAD-RESULT {"requests":%d,"duration_us":%d,"bytes":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"max":%d,"mean":%.1f},' ..
      '"sent":%d,"answered":%d,"good":%d,"exhausted":%d,"sent_per_thread":[%s],' ..
      '"bad":{%s},"sample":%s}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
      latency.mean,
      totals.sent, totals.answered, totals.good, totals.exhausted,
      table.concat(per_thread, ","), table.concat(bad_parts, ","), quote(first_sample)))
end
