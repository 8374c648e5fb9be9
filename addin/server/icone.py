"""Draws the add-in's icons (the Rendiconta mark: a green sheet with a ruled table and a white tick)
at the sizes Office asks for, into static/images/icons/rendiconta-<size>.png. The PNGs are committed;
run `make icone` after changing the drawing. Needs Pillow (pip install -e '.[icone]')."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

SIZES = (16, 32, 64, 80)
GREEN, DARK, WHITE = (0x1B, 0x7A, 0x3E, 255), (0x0F, 0x4F, 0x27, 255), (255, 255, 255, 255)
OUT = Path(__file__).with_name("static") / "images" / "icons"


def icona(size: int) -> Image.Image:
    scale = 8   # drawn large, then reduced: smooth edges at 16 px too
    n = size * scale
    img = Image.new("RGBA", (n, n), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    m = n // 16
    d.rounded_rectangle((m, m, n - m, n - m), radius=n // 6, fill=GREEN, outline=DARK, width=max(scale, n // 24))
    # the ruled table of a reporting sheet
    for i in (1, 2, 3):
        y = m + (n - 2 * m) * i // 4
        d.line((m * 3, y, n - m * 3, y), fill=(255, 255, 255, 110), width=max(scale, n // 40))
    x = m + (n - 2 * m) // 3
    d.line((x, m * 3, x, n - m * 3), fill=(255, 255, 255, 110), width=max(scale, n // 40))
    # the tick of a validated row
    w = max(2 * scale, n // 9)
    d.line((n * 0.28, n * 0.52, n * 0.44, n * 0.68, n * 0.74, n * 0.34), fill=WHITE, width=w, joint="curve")
    return img.resize((size, size), Image.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for s in SIZES:
        icona(s).save(OUT / f"rendiconta-{s}.png", optimize=True)
        print(OUT / f"rendiconta-{s}.png")


if __name__ == "__main__":
    main()
