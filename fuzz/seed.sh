#!/usr/bin/env bash
# Regenerates the seed corpus in fuzz/seeds/ from the conformance cases
# (../shared/spec/conformance/*.toml, each case's `input` and `canonical`), the snapshot corpus
# (tests/corpus/{ok,err}/*.txt) and the lint cases (tests/lints/*/*.txt).
#
# - seeds/expr (for parse, roundtrip and validate): one file per distinct expression.
# - seeds/eval: `t` + expression + NUL + a report as JSON (the eval target's text shape), pairing
#   the expressions with a few reports in turn.
# The ast target reads its structure from any bytes and starts from none.
#
# Files are named by the SHA-1 of their content, as libFuzzer names them.
set -euo pipefail
cd "$(dirname "$0")"

python3 - <<'PY'
import glob, hashlib, os, shutil, tomllib

inputs = []
for path in sorted(glob.glob("../../shared/spec/conformance/*.toml")):
    with open(path, "rb") as f:
        for case in tomllib.load(f).get("case", []):
            inputs.append(case["input"])
            if "canonical" in case:
                inputs.append(case["canonical"])
for pattern in ["../tests/corpus/ok/*.txt", "../tests/corpus/err/*.txt", "../tests/lints/*/*.txt"]:
    for path in sorted(glob.glob(pattern)):
        with open(path, "rb") as f:
            inputs.append(f.read().decode("utf-8"))
if not inputs:
    raise SystemExit("no seed found: is ../shared/spec/conformance/ there?")

seen, exprs = set(), []
for s in inputs:
    b = s.encode("utf-8")
    if b not in seen:
        seen.add(b)
        exprs.append(b)

reports = [
    b'{"id":"r1","date":"2024-01-02","items":[{"type":"product-tag","context":"","value":"Dahua DVR"},'
    b'{"type":"geo-country","value":"RU"},{"type":"port-tcp","value":443},{"type":"ip","value":"8.8.8.8"}]}',
    b'{"id":"r2","items":[{"type":"host","value":"www.driftnet.io"},{"type":"url","value":"https://a.example.com:8080/x"},'
    b'{"type":"title","value":"Tencent Cloud Computing"},{"type":"entity","value":"University of London"}]}',
    b'{"id":"r3","items":[{"type":"server-banner","context":"http","value":"nginx/1.2 CherryPy"},'
    b'{"type":"http-header","context":"Server","value":"Apache"},{"type":"cert-dns-name","context":"cert","value":"example.com"},'
    b'{"type":"ip","context":"cert-dns-name","value":"2001:db8::1","is_metadata":true}]}',
    b'{"items":[{"type":"port-udp","value":"0161"},{"type":"protocol","value":"MODBUS"},{"type":"search-term","value":null},'
    b'{"type":"issuer","value":"\\u039f\\u0394\\u039f\\u03a3 \\"q\\""},{"type":"subject","value":1.5,"extra":[1]}]}',
    b'[]',
    b'{"items":null}',
]

def write(target, data):
    d = os.path.join("seeds", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)

if os.path.isdir("seeds"):
    shutil.rmtree("seeds")
for e in exprs:
    write("expr", e)
for i, e in enumerate(exprs):
    write("eval", b"t" + e + b"\0" + reports[i % len(reports)])
print(f"{len(exprs)} expressions, {len(reports)} reports")
PY
