#!/usr/bin/env python3
"""Render a terminal screen captured with `tmux capture-pane -e -p` to a PNG.

Usage: ansi2png.py IN.ans OUT.png --size COLSxROWS [--cursor X,Y]

The capture is ANSI text: SGR sequences (colours: 16, 256 and true colour; bold, dim, italic,
underline, reverse) between the characters. Each character is drawn on a fixed grid of cells;
East Asian wide characters (CJK, full-width punctuation) take two cells, as in the terminal.
Latin, box-drawing and symbols come from DejaVu Sans Mono, CJK from Noto Sans Mono CJK SC
(or WenQuanYi Micro Hei), found with fc-match. Needs Pillow.
"""

import argparse
import re
import subprocess
import sys
import unicodedata

from PIL import Image, ImageDraw, ImageFont

FONT_SIZE = 15
CJK_SIZE = 16
CELL_W = 9
CELL_H = 19
PAD = 10
DEFAULT_FG = (208, 208, 208)
DEFAULT_BG = (24, 26, 30)

# xterm's 16 colours, as most terminal themes draw them.
BASE16 = [
    (0, 0, 0), (205, 49, 49), (13, 188, 121), (229, 229, 16),
    (36, 114, 200), (188, 63, 188), (17, 168, 205), (229, 229, 229),
    (102, 102, 102), (241, 76, 76), (35, 209, 139), (245, 245, 67),
    (59, 142, 234), (214, 112, 214), (41, 184, 219), (255, 255, 255),
]


def xterm256(n):
    if n < 16:
        return BASE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    v = 8 + (n - 232) * 10
    return (v, v, v)


def find_font(pattern):
    """(file, index) of the best match for a fontconfig pattern, or None."""
    try:
        out = subprocess.run(
            ["fc-match", "-f", "%{file}\t%{index}\t%{family}", pattern],
            capture_output=True, text=True, check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    parts = out.split("\t")
    if len(parts) < 3:
        return None
    return parts[0], int(parts[1] or 0), parts[2]


def load_fonts():
    latin = {}
    for bold in (False, True):
        style = ":bold" if bold else ""
        m = find_font("DejaVu Sans Mono" + style)
        if not m or "DejaVu" not in m[2]:
            sys.exit("ansi2png: DejaVu Sans Mono not found (apt-get install fonts-dejavu-core)")
        latin[bold] = ImageFont.truetype(m[0], FONT_SIZE, index=m[1])
    cjk = {}
    for bold in (False, True):
        style = ":bold" if bold else ""
        m = None
        for family in ("Noto Sans Mono CJK SC", "WenQuanYi Micro Hei Mono", "WenQuanYi Micro Hei"):
            found = find_font(family + style)
            if found and ("CJK" in found[2] or "WenQuanYi" in found[2]):
                m = found
                break
        if not m:
            sys.exit("ansi2png: no CJK font (apt-get install fonts-noto-cjk)")
        cjk[bold] = ImageFont.truetype(m[0], CJK_SIZE, index=m[1])
    return latin, cjk


def char_width(ch):
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


class Style:
    __slots__ = ("fg", "bg", "bold", "dim", "italic", "underline", "reverse")

    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = None
        self.bg = None
        self.bold = False
        self.dim = False
        self.italic = False
        self.underline = False
        self.reverse = False

    def copy(self):
        s = Style()
        for k in self.__slots__:
            setattr(s, k, getattr(self, k))
        return s

    def apply(self, params):
        ps = [int(p) if p.isdigit() else 0 for p in params.split(";")] if params else [0]
        i = 0
        while i < len(ps):
            p = ps[i]
            if p == 0:
                self.reset()
            elif p == 1:
                self.bold = True
            elif p == 2:
                self.dim = True
            elif p == 3:
                self.italic = True
            elif p == 4:
                self.underline = True
            elif p == 7:
                self.reverse = True
            elif p == 22:
                self.bold = self.dim = False
            elif p == 23:
                self.italic = False
            elif p == 24:
                self.underline = False
            elif p == 27:
                self.reverse = False
            elif 30 <= p <= 37:
                self.fg = BASE16[p - 30]
            elif 90 <= p <= 97:
                self.fg = BASE16[p - 90 + 8]
            elif 40 <= p <= 47:
                self.bg = BASE16[p - 40]
            elif 100 <= p <= 107:
                self.bg = BASE16[p - 100 + 8]
            elif p == 39:
                self.fg = None
            elif p == 49:
                self.bg = None
            elif p in (38, 48) and i + 1 < len(ps):
                if ps[i + 1] == 5 and i + 2 < len(ps):
                    colour = xterm256(ps[i + 2])
                    i += 2
                elif ps[i + 1] == 2 and i + 4 < len(ps):
                    colour = tuple(ps[i + 2:i + 5])
                    i += 4
                else:
                    colour = None
                if p == 38:
                    self.fg = colour
                else:
                    self.bg = colour
            i += 1


ESC_RE = re.compile(r"\x1b\[([0-9;:]*)([A-Za-z])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b.")


def parse(text, cols, rows):
    """A grid of rows x cols cells: (char or '' for the right half of a wide one, Style)."""
    blank = Style()
    grid = [[(" ", blank) for _ in range(cols)] for _ in range(rows)]
    lines = text.split("\n")
    style = Style()  # tmux carries attributes from one line to the next
    for y, line in enumerate(lines[:rows]):
        x = 0
        pos = 0
        while pos < len(line):
            m = ESC_RE.match(line, pos)
            if m:
                if m.group(2) == "m":
                    style.apply(m.group(1).replace(":", ";"))
                pos = m.end()
                continue
            ch = line[pos]
            pos += 1
            if ch == "\r" or ord(ch) < 32:
                continue
            w = char_width(ch)
            if w == 0 or x >= cols:
                continue
            if x + w > cols:
                break
            grid[y][x] = (ch, style.copy())
            if w == 2:
                grid[y][x + 1] = ("", style.copy())
            x += w
    return grid


def colours(st):
    fg = st.fg or DEFAULT_FG
    bg = st.bg or DEFAULT_BG
    if st.reverse:
        fg, bg = bg, fg
    if st.dim:
        fg = tuple((a + b) // 2 for a, b in zip(fg, bg))
    return fg, bg


def render(grid, cols, rows, cursor, out):
    latin, cjk = load_fonts()
    glyph_cache = {}

    def bitmap(font, ch):
        im = Image.new("L", (3 * CELL_W, 2 * CELL_H))
        ImageDraw.Draw(im).text((0, 0), ch, font=font, fill=255)
        return im.tobytes()

    notdef = bitmap(latin[False], "\uffff")

    def in_latin(ch):
        if ch not in glyph_cache:
            glyph_cache[ch] = bitmap(latin[False], ch) != notdef
        return glyph_cache[ch]

    img = Image.new("RGB", (cols * CELL_W + 2 * PAD, rows * CELL_H + 2 * PAD), DEFAULT_BG)
    draw = ImageDraw.Draw(img)
    # One baseline for both fonts, so digits and CJK sit on the same line.
    ascent, descent = latin[False].getmetrics()
    base = (CELL_H - (ascent + descent)) // 2 + ascent
    for y in range(rows):
        for x in range(cols):
            ch, st = grid[y][x]
            if ch == "":
                continue
            w = 2 if char_width(ch) == 2 else 1
            fg, bg = colours(st)
            if cursor == (x, y):
                fg, bg = bg, fg
            px, py = PAD + x * CELL_W, PAD + y * CELL_H
            if bg != DEFAULT_BG:
                draw.rectangle([px, py, px + w * CELL_W - 1, py + CELL_H - 1], fill=bg)
            if ch != " ":
                font = latin[st.bold]
                if w == 2 or not in_latin(ch):
                    font = cjk[st.bold]
                if box_drawing(ch):
                    draw_box(draw, ch, px, py, fg)
                else:
                    # Centre the glyph in its cells: CJK glyphs are a bit wider than two cells.
                    gw = font.getlength(ch)
                    gx = px + (w * CELL_W - gw) / 2
                    draw.text((gx, py + base), ch, font=font, fill=fg, anchor="ls")
            if st.underline:
                draw.line([px, py + CELL_H - 2, px + w * CELL_W - 1, py + CELL_H - 2], fill=fg)
    # Few colours: an adaptive palette keeps the file small without visible loss.
    img = img.quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    img.save(out, optimize=True)


def box_drawing(ch):
    return ch in "─│┌┐└┘├┤┬┴┼"


def draw_box(draw, ch, px, py, fg):
    """Box-drawing lines drawn as lines, so borders join across cells as in a terminal."""
    cx, cy = px + CELL_W // 2, py + CELL_H // 2
    right, bottom = px + CELL_W - 1, py + CELL_H - 1
    left = ch in "─┐┘┤┬┴┼"
    rgt = ch in "─┌└├┬┴┼"
    up = ch in "│└┘├┤┴┼"
    down = ch in "│┌┐├┤┬┼"
    if left:
        draw.line([px, cy, cx, cy], fill=fg)
    if rgt:
        draw.line([cx, cy, right, cy], fill=fg)
    if up:
        draw.line([cx, py, cx, cy], fill=fg)
    if down:
        draw.line([cx, cy, cx, bottom], fill=fg)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--size", required=True, help="COLSxROWS")
    ap.add_argument("--cursor", help="X,Y of a visible cursor")
    a = ap.parse_args()
    cols, rows = (int(v) for v in a.size.lower().split("x"))
    cursor = tuple(int(v) for v in a.cursor.split(",")) if a.cursor else None
    with open(a.input, encoding="utf-8", errors="replace") as f:
        text = f.read()
    render(parse(text, cols, rows), cols, rows, cursor, a.output)


if __name__ == "__main__":
    main()
