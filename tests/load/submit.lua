-- wrk script for W2: each request submits right answers to one open quiz attempt, taken in turn
-- from $ATTEMPTS (token<TAB>attempt id<TAB>JSON body per line); each wrk thread takes its own
-- share. Past the end of its share a thread starts over (those re-submissions store nothing; the
-- script around it counts what was graded).
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

local mine = {}
local next_one = 1

function init(args)
  local nthreads = tonumber(os.getenv("WRK_THREADS") or "2")
  local i = 0
  for line in io.lines(os.getenv("ATTEMPTS")) do
    if i % nthreads == id then
      local token, attempt, body = line:match("^([^\t]*)\t([^\t]*)\t(.*)$")
      if token then mine[#mine + 1] = { token, attempt, body } end
    end
    i = i + 1
  end
end

-- what a mobile HTTP client sends ($ACCEPT_ENCODING; empty: none)
local accept_encoding = os.getenv("ACCEPT_ENCODING") or ""

function request()
  local a = mine[next_one]
  next_one = next_one % #mine + 1
  local headers = {
    ["Authorization"] = "Bearer " .. a[1],
    ["Content-Type"] = "application/json",
  }
  if #accept_encoding > 0 then headers["Accept-Encoding"] = accept_encoding end
  return wrk.format("POST", "/api/v1/attempts/" .. a[2] .. "/submit", headers, a[3])
end
