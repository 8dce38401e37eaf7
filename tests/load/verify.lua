-- wrk script for W3: GET /v/{code} for random certificate codes, one per line in $CODES.
local codes = {}

function init(args)
  for line in io.lines(os.getenv("CODES")) do
    if #line > 0 then codes[#codes + 1] = line end
  end
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0))
end

function request()
  return wrk.format("GET", "/v/" .. codes[math.random(#codes)])
end
