#!/usr/bin/env bash
# report.html rendered by headless Chromium (Debian's chromium, installed by
# tools/setup): the screenshot is not blank, and the page's drawing needs no
# network.  Chromium missing is a failure, not a skip.
# ctest-labels: slow
source "$(dirname "$0")/lib/common.bash"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
	echo "FAIL: chromium is not installed; run tools/setup (it installs Debian's chromium)" >&2
	exit 1
fi

"$CMAN_SIM" run "$CMAN_SRC/scenarios/quickstart.yaml" -q -o "$WORK/q"
shot() {  # shot HTML PNG
	timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu \
		--disable-background-networking --disable-component-update --disable-sync \
		--no-first-run --user-data-dir="$(mktemp -d "$WORK/chrome.XXXXXX")" \
		--screenshot="$2" --window-size=1280,2000 "file://$1" > "$WORK/chrome.log" 2>&1
}
shot "$WORK/q/report.html" "$WORK/q.png" || true
check "screenshot written" test -s "$WORK/q.png"

# not_blank PNG: decode it with zlib (no imaging library) and count colours;
# a page of charts has many, a blank or error page few.  Also: something is
# drawn in the lower half (the charts), not only a header.
not_blank() {
	python3 - "$1" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, idat, w = 8, b"", None
while pos < len(data):
    n, t = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if t == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        assert depth == 8 and ctype in (2, 6), "unexpected PNG format %d/%d" % (depth, ctype)
        bpp = 3 if ctype == 2 else 4
    elif t == b"IDAT":
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
stride = w * bpp
prev = bytearray(stride)
colours, lower = set(), set()
for y in range(h):
    f = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for x in range(stride):
        a = line[x - bpp] if x >= bpp else 0
        b = prev[x]
        c = prev[x - bpp] if x >= bpp else 0
        if f == 1: line[x] = (line[x] + a) & 255
        elif f == 2: line[x] = (line[x] + b) & 255
        elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    prev = line
    if y % 4 == 0:
        for x in range(0, w, 2):
            px = bytes(line[x * bpp:x * bpp + 3])
            colours.add(px)
            if y > h // 2:
                lower.add(px)
print("%dx%d, %d colours sampled, %d in the lower half" % (w, h, len(colours), len(lower)))
sys.exit(0 if len(colours) >= 50 and len(lower) >= 10 else 1)
PY
}
check "screenshot is not blank" not_blank "$WORK/q.png"

# a blank page must fail the check (the check can fail)
printf '<!DOCTYPE html><html><body></body></html>\n' > "$WORK/blank.html"
shot "$WORK/blank.html" "$WORK/blank.png" || true
if not_blank "$WORK/blank.png" > /dev/null 2>&1; then fail "blank page passed the check"; else pass; fi

# the hover script: moving over each chart shows its values (dispatched
# mouse events; the DOM is dumped after the page's scripts ran)
cp "$WORK/q/report.html" "$WORK/hover.html"
cat >> "$WORK/hover.html" <<'JS'
<script>
(function(){
  var out = [], svgs = document.querySelectorAll('svg[data-chart]');
  for (var k = 0; k < svgs.length; k++) {
    var r = svgs[k].getBoundingClientRect();
    svgs[k].dispatchEvent(new MouseEvent('mousemove', {clientX: r.left + r.width * 0.5,
      clientY: r.top + r.height * 0.3, bubbles: true}));
    out.push(svgs[k].getAttribute('data-chart') + '=' + document.getElementById('tip').textContent);
  }
  var pre = document.createElement('pre'); pre.id = 'hover-out';
  pre.textContent = out.join('\n'); document.body.appendChild(pre);
})();
</script>
JS
timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-background-networking \
	--disable-component-update --disable-sync --no-first-run \
	--user-data-dir="$(mktemp -d "$WORK/chrome.XXXXXX")" --dump-dom "file://$WORK/hover.html" \
	> "$WORK/hover.dom" 2> /dev/null || true
check "hover: capacity values" grep -q 'ts-capacity=2016-03-04 [0-9:]* to 2016-03-04 [0-9:]* UTC (vCPUs)capacity (joined vCPUs): ' "$WORK/hover.dom"
check "hover: cost in dollars" grep -q 'ts-cost=.*cost rate: \$[0-9]' "$WORK/hover.dom"
check "hover: heatmap cell" grep -q 'hm-cpus=2016-03-04 [0-9][0-9]:00 to [0-9][0-9]:00 UTC (vCPUs)mean: ' "$WORK/hover.dom"
finish
