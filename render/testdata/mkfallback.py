# Makes fallback.ttf: a tiny TrueType font with one glyph, for U+20000 (𠀀, CJK Extension B),
# which the bundled font lacks. The glyph is a stand-in (a box with a cross, its top-left quarter filled), enough for the
# tests to see that the fallback path draws something. Run: /usr/bin/python3 mkfallback.py
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen

def box_cross():
    pen = TTGlyphPen(None)
    def rect(x0, y0, x1, y1):
        pen.moveTo((x0, y0)); pen.lineTo((x0, y1)); pen.lineTo((x1, y1)); pen.lineTo((x1, y0)); pen.closePath()
    rect(100, -100, 900, -20)   # bottom bar
    rect(100, 700, 900, 780)    # top bar
    rect(100, -100, 180, 780)   # left bar
    rect(820, -100, 900, 780)   # right bar
    rect(460, -100, 540, 780)   # vertical stroke
    rect(100, 300, 900, 380)    # horizontal stroke
    rect(180, 380, 460, 700)    # a filled top-left quarter, so a flipped glyph shows
    return pen.glyph()

fb = FontBuilder(1000, isTTF=True)
fb.setupGlyphOrder([".notdef", "u20000"])
fb.setupCharacterMap({0x20000: "u20000"})
empty = TTGlyphPen(None).glyph()
fb.setupGlyf({".notdef": empty, "u20000": box_cross()})
fb.setupHorizontalMetrics({".notdef": (1000, 0), "u20000": (1000, 100)})
fb.setupHorizontalHeader(ascent=880, descent=-120)
fb.setupNameTable({"familyName": "ebill test fallback", "styleName": "Regular"})
fb.setupOS2(sTypoAscender=880, sTypoDescender=-120, usWinAscent=880, usWinDescent=120)
fb.setupPost()
fb.save("fallback.ttf")
