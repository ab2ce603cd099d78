#!/usr/bin/env bash
# Regenerates public/mime/: one small, valid sample per common MIME type (MDN's list), so that
# `curl -I http://localhost:8080/mime/sample.<ext>` shows each Content-Type. The outputs are
# committed; this script is only needed to remake them. Needs Debian's ffmpeg, webp,
# libavif-bin, fonttools (pyftsubset), python3-brotli and fonts-dejavu-core.
set -euo pipefail
out="$(cd "$(dirname "$0")/.." && pwd)/public/mime"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
cd "$out"

# A 64x32 picture: porthost's two numbers, 80 and 25, as coloured bands.
ffmpeg -loglevel error -y -f lavfi -i "color=c=0x2b6cb0:s=64x32,drawbox=x=32:y=0:w=32:h=32:color=0xdd6b20:t=fill" -frames:v 1 "$work/p.png"
cp "$work/p.png" sample.png
ffmpeg -loglevel error -y -i "$work/p.png" -q:v 5 sample.jpg
ffmpeg -loglevel error -y -i "$work/p.png" sample.gif
cwebp -quiet "$work/p.png" -o sample.webp
avifenc -j 1 "$work/p.png" sample.avif >/dev/null
python3 - "$work/p.png" sample.ico <<'PY'
import struct, sys
png = open(sys.argv[1], "rb").read()
# ICONDIR + one ICONDIRENTRY pointing at an embedded PNG (allowed since Windows Vista).
header = struct.pack("<HHH", 0, 1, 1) + struct.pack("<BBBBHHII", 64, 32, 0, 0, 1, 32, len(png), 22)
open(sys.argv[2], "wb").write(header + png)
PY

# One second of a 440 Hz tone; two seconds of the picture as video.
ffmpeg -loglevel error -y -f lavfi -i "sine=frequency=440:duration=1" -b:a 32k sample.mp3
ffmpeg -loglevel error -y -loop 1 -i "$work/p.png" -t 1 -r 5 -pix_fmt yuv420p -c:v libx264 -movflags +faststart sample.mp4
ffmpeg -loglevel error -y -loop 1 -i "$work/p.png" -t 1 -r 5 -c:v libvpx-vp9 -b:v 50k sample.webm

# The letters of "porthost" from DejaVu Sans, as WOFF and WOFF2.
font=/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
pyftsubset "$font" --text="porthost0123456789" --flavor=woff --output-file=sample.woff
pyftsubset "$font" --text="porthost0123456789" --flavor=woff2 --output-file=sample.woff2

python3 - <<'PY'
import zipfile
# A WebAssembly module exporting add(a, b) -> a + b.
wasm = bytes([
    0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00,              # magic, version 1
    0x01, 0x07, 0x01, 0x60, 0x02, 0x7F, 0x7F, 0x01, 0x7F,          # type: (i32, i32) -> i32
    0x03, 0x02, 0x01, 0x00,                                        # function 0 has type 0
    0x07, 0x07, 0x01, 0x03, 0x61, 0x64, 0x64, 0x00, 0x00,          # export "add" = function 0
    0x0A, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6A, 0x0B,  # local.get 0, local.get 1, i32.add
])
open("sample.wasm", "wb").write(wasm)
with zipfile.ZipFile("sample.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("ports.txt", "http 80\nsmtp 25\necho 7\ndiscard 9\npop3 110\nhttps 443\n")

# A one-page PDF with its cross-reference table computed, so readers accept it.
objects = [
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 100] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    None,
    b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
]
text = b"BT /F1 18 Tf 20 45 Td (A port is a number: 80, 25, 7.) Tj ET"
objects[3] = b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream"
pdf = bytearray(b"%PDF-1.4\n")
offsets = []
for number, body in enumerate(objects, start=1):
    offsets.append(len(pdf))
    pdf += b"%d 0 obj\n" % number + body + b"\nendobj\n"
xref = len(pdf)
pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
for offset in offsets:
    pdf += b"%010d 00000 n \n" % offset
pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
open("sample.pdf", "wb").write(bytes(pdf))
PY
ls -l "$out"
