-- wrk script for W3: GET /v/{code} for random certificate codes, one per line in $CODES.
local codes = {}

function init(args)
  for line in io.lines(os.getenv("CODES")) do
    if #line > 0 then codes[#codes + 1] = line end
  end
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0))
end

-- Many HR officers, not one: the server runs as behind a load balancer (CAKAP_TRUST_PROXY) and
-- each request comes from one of 65,536 addresses, so the per-address lookup limit (120 per
-- 10 minutes) applies as it would in real use.
-- what a browser sends ($ACCEPT_ENCODING; empty: none, for the identity column)
local accept_encoding = os.getenv("ACCEPT_ENCODING") or ""

function request()
  local from = "10.77." .. math.random(0, 255) .. "." .. math.random(0, 255)
  local headers = { ["X-Forwarded-For"] = from }
  if #accept_encoding > 0 then headers["Accept-Encoding"] = accept_encoding end
  return wrk.format("GET", "/v/" .. codes[math.random(#codes)], headers)
end
