"""wrk's output (stdin) as one line: "req/s p50_ms p99_ms non2xx [socket_errors]".

Used by run.sh and scale.sh; exits with wrk's output when it printed no figures.
"""
import re
import sys

out = sys.stdin.read()


def ms(v):
    n, unit = re.match(r"([\d.]+)(\w+)", v).groups()
    return float(n) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
p50 = re.search(r"\s50%\s+(\S+)", out)
p99 = re.search(r"\s99%\s+(\S+)", out)
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
errs = re.search(r"Socket errors:.*", out)
if not (rps and p50 and p99):
    sys.exit("wrk printed no figures:\n" + out)
print(f"{float(rps.group(1)):.0f} {ms(p50.group(1)):.2f} {ms(p99.group(1)):.2f} {int(bad.group(1)) if bad else 0}"
      + (" " + errs.group(0).replace(" ", "_") if errs else ""))
