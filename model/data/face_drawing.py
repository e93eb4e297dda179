"""Drawing one synthetic face with Pillow: large canvas, then LANCZOS down (anti-aliased)."""

from __future__ import annotations

import colorsys
from collections.abc import Sequence

import numpy as np
from PIL import Image, ImageDraw

from model.data.face_factors import FACTOR_NAMES

_SCALE = 4  # draw at this multiple of the final size, then downsample: anti-aliasing
_HEAD_Y = 0.47  # head centre, as a fraction of the image height; eyes sit ~5% above it
_EYE_Y = -0.05
_T24 = np.linspace(0.0, 2.0 * np.pi, 24, endpoint=False)
_T48 = np.linspace(0.0, 2.0 * np.pi, 48, endpoint=False)
_HALF = np.linspace(0.0, np.pi, 13)
_U = np.linspace(-1.0, 1.0, 13)

Color = tuple[int, int, int]


def _palette(t: float, stops: Sequence[tuple[float, Color]]) -> np.ndarray:
    positions = [p for p, _ in stops]
    return np.array([np.interp(t, positions, [c[i] for _, c in stops]) for i in range(3)])


_SKIN = ((0.0, (255, 226, 204)), (0.3, (236, 188, 150)), (0.6, (198, 138, 96)),
         (0.8, (140, 92, 62)), (1.0, (88, 58, 40)))  # fmt: skip
_HAIR = ((0.0, (18, 16, 18)), (0.29, (48, 34, 28)), (0.3, (66, 42, 28)), (0.59, (138, 84, 46)),
         (0.6, (176, 132, 72)), (0.79, (238, 210, 140)), (0.8, (110, 108, 106)),
         (1.0, (226, 224, 220)))  # fmt: skip
_IRIS = ((0.0, (72, 42, 24)), (0.3, (120, 86, 40)), (0.55, (70, 112, 62)), (0.8, (60, 104, 168)),
         (1.0, (118, 150, 184)))  # fmt: skip


def _rgb(color: np.ndarray) -> Color:
    r, g, b = np.clip(np.round(color), 0, 255).astype(int)
    return int(r), int(g), int(b)


def _hsv(h: float, s: float, v: float) -> np.ndarray:
    return 255.0 * np.array(colorsys.hsv_to_rgb(h % 1.0, s, v))


class _Colors:
    """The colours of one face."""

    def __init__(self, f: dict[str, float]) -> None:
        skin = _palette(f["skin_tone"], _SKIN)
        hair = _palette(f["hair_color"], _HAIR)
        self.skin = _rgb(skin)
        self.skin_shadow = _rgb(skin * 0.82)
        self.skin_dark = _rgb(skin * 0.68)
        self.ear_inner = _rgb(skin * 0.74)
        self.nostril = _rgb(skin * 0.45)
        self.hair = _rgb(hair)
        self.hair_back = _rgb(hair * 0.72)
        self.hair_sheen = _rgb(hair * 0.8 + 48)
        self.brow = _rgb(hair * 0.75 + np.array([40, 30, 24]) * 0.25)
        self.beard = _rgb(hair * 0.85)
        self.iris = _rgb(_palette(f["iris_color"], _IRIS))
        self.sclera = _rgb(np.array([246, 244, 238]) * 0.9 + skin * 0.1)
        lip = (170, 34, 58) if f["Wearing_Lipstick"] else (176, 86, 84)
        self.lip = _rgb(skin * (0.3 if f["Wearing_Lipstick"] else 0.6) + np.array(lip) * 0.4)
        if f["Wearing_Lipstick"]:
            self.lip = _rgb(skin * 0.25 + np.array(lip) * 0.75)
        self.mouth = (70, 22, 28)
        self.teeth = (240, 236, 226)
        self.lash = (34, 22, 20)
        self.background = _rgb(
            _hsv(f["background_hue"], 0.32, 0.35 + 0.6 * f["background_lightness"])
        )
        self.shirt = _rgb(_hsv(f["clothing_hue"], 0.5, 0.5))
        self.shirt_dark = _rgb(_hsv(f["clothing_hue"], 0.55, 0.38))
        self.frame = (28, 26, 30)


class _Canvas:
    """A large drawing canvas plus the projection of face-local points onto it.

    `surface` points lie on the face (an ellipsoid) and shift sideways with head yaw;
    `outline` points lie on the silhouette, which only narrows. Both then rotate with the roll.
    """

    def __init__(self, f: dict[str, float], size: int, background: Color) -> None:
        self.size = size
        self.a = 0.29 + 0.07 * f["face_width"]  # half width of the head
        self.b = 0.39 + 0.05 * f["face_height"]  # half height of the head
        self.c = 0.85 * self.a  # depth of the face surface
        yaw, roll = np.radians(f["head_yaw"]), np.radians(f["head_roll"])
        self.cos_yaw, self.sin_yaw = float(np.cos(yaw)), float(np.sin(yaw))
        self.k = float(np.hypot(self.cos_yaw, self.c / self.a * self.sin_yaw))
        self.cos_roll, self.sin_roll = float(np.cos(roll)), float(np.sin(roll))
        self.image = Image.new("RGB", (size, size), background)
        self.draw = ImageDraw.Draw(self.image)

    def surface(self, x: np.ndarray, y: np.ndarray, lift: float = 0.0) -> np.ndarray:
        r2 = (x / self.a) ** 2 + (y / self.b) ** 2
        z = self.c * np.sqrt(np.clip(1.0 - r2, 0.0, None)) + lift
        return self._place(x * self.cos_yaw + z * self.sin_yaw, y)

    def outline(self, x: np.ndarray, y: np.ndarray, depth: float = 0.0) -> np.ndarray:
        return self._place(x * self.k + depth * self.sin_yaw, y)

    def body(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.column_stack([(0.5 + x) * self.size, (_HEAD_Y + y) * self.size])

    def _place(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        xr = x * self.cos_roll - y * self.sin_roll
        yr = x * self.sin_roll + y * self.cos_roll
        return np.column_stack([(0.5 + xr) * self.size, (_HEAD_Y + yr) * self.size])

    def fill(self, points: np.ndarray, color: Color) -> None:
        self.draw.polygon(points.ravel().tolist(), fill=color)

    def line(self, points: np.ndarray, color: Color, width: float) -> None:
        w = max(1, round(width * self.size))
        self.draw.line(points.ravel().tolist(), fill=color, width=w, joint="curve")

    def ring(self, points: np.ndarray, color: Color, width: float) -> None:
        self.line(np.vstack([points, points[:2]]), color, width)


def _face_x(c: _Canvas, f: dict[str, float], y: np.ndarray) -> np.ndarray:
    """Half width of the face outline at height y (a narrowing ellipse below the eyes)."""
    s = np.clip(y / c.b, -1.0, 1.0)
    taper = 0.34 - 0.2 * f["jaw_width"] - 0.08 * f["Male"]
    exponent = 0.5 - 0.12 * f["Male"] - 0.1 * f["jaw_width"]
    return c.a * (1.0 - s * s) ** exponent * (1.0 - taper * np.clip(s, 0.0, None) ** 2)


def _head_outline(c: _Canvas, f: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
    y = c.b * np.sin(_T48 - np.pi / 2)  # starts at the top, goes clockwise
    side = np.where(np.cos(_T48 - np.pi / 2) >= 0, 1.0, -1.0)
    return side * _face_x(c, f, y), y


def _draw_body(c: _Canvas, f: dict[str, float], col: _Colors) -> None:
    """Back hair, neck and shoulders: everything behind the head."""
    if f["Long_Hair"] and not f["Bald"]:
        grow = 1.1 + 0.1 * f["hair_volume"]
        top_x, top_y = c.a * grow * np.cos(_HALF), -c.b * (1.04 + 0.08 * f["hair_volume"])
        x = np.concatenate([[c.a * grow * 1.02], top_x, [-c.a * grow * 1.02]])
        y = np.concatenate([[c.b + 0.35], top_y * np.sin(_HALF), [c.b + 0.35]])
        c.fill(c.outline(x, y), col.hair_back)
    neck_y = np.array([0.2, 0.2, 1.0, 1.0]) * c.b + np.array([0, 0, 0.3, 0.3])
    neck_x = np.array([-0.42, 0.42, 0.5, -0.5]) * c.a
    c.fill(c.outline(neck_x, neck_y), col.skin_shadow)
    chin = c.b + 0.02
    x = np.array([-0.7, -0.7, -0.45, -0.22, -0.16, -0.08, 0.0, 0.08, 0.16, 0.22, 0.45, 0.7, 0.7])
    dy = np.array([0.5, -0.02, -0.04, 0.02, 0.03, 0.08, 0.09, 0.08, 0.03, 0.02, -0.04, -0.02, 0.5])
    c.fill(c.body(x, chin + dy), col.shirt)
    c.line(c.body(x[3:10], chin + dy[3:10]), col.shirt_dark, 0.014)


def _draw_head(c: _Canvas, f: dict[str, float], col: _Colors) -> None:
    """Ears and the face itself."""
    ear_y = _EYE_Y + 0.045 + 0.065 * np.sin(_T24)
    for side in (-1.0, 1.0):
        ear_x = side * (c.a * 0.96 + 0.032 * (1 + np.cos(_T24)))
        c.fill(c.outline(ear_x, ear_y, depth=-0.35 * c.a), col.skin_shadow)
        inner_x = side * (c.a * 0.96 + 0.02 * (1 + np.cos(_T24)))
        inner_y = _EYE_Y + 0.05 + 0.04 * np.sin(_T24)
        c.fill(c.outline(inner_x, inner_y, depth=-0.35 * c.a), col.ear_inner)
    c.fill(c.outline(*_head_outline(c, f)), col.skin)


def _eye_layout(c: _Canvas, f: dict[str, float]) -> tuple[float, float]:
    """Distance of each eye's centre from the midline, and the half width of an eye."""
    return c.a * (0.29 + 0.13 * f["eye_spacing"]), (0.032 + 0.016 * f["eye_size"]) * c.a / 0.325


def _draw_eyes(c: _Canvas, f: dict[str, float], col: _Colors) -> None:
    scale = c.a / 0.325
    ex, ew = _eye_layout(c, f)
    eh = ew * 0.6
    ey = _EYE_Y
    lash = 0.0065 if f["Male"] else 0.0095
    cos_h, sin_h = np.cos(_HALF), np.sin(_HALF)
    brow_y = ey - eh - 0.03
    thick = (0.008 + 0.008 * f["eyebrow_thickness"] + 0.004 * f["Male"]) * scale
    for side in (-1.0, 1.0):
        top_x, top_y = side * (ex + ew * cos_h), ey - eh * sin_h**0.8
        bottom_y = ey + 0.7 * eh * sin_h
        c.fill(
            c.surface(
                np.concatenate([top_x, top_x[::-1]]), np.concatenate([top_y, bottom_y[::-1]])
            ),
            col.sclera,
        )
        r = 0.78 * eh
        for radius, color in ((r, col.iris), (0.45 * r, (12, 10, 12))):
            c.fill(c.surface(side * ex + radius * np.cos(_T24), ey + radius * np.sin(_T24)), color)
        glint = 0.22 * r
        c.fill(
            c.surface(
                side * ex - 0.35 * r + glint * np.cos(_T24), ey - 0.35 * r + glint * np.sin(_T24)
            ),
            (250, 250, 250),
        )
        c.line(c.surface(top_x, top_y - 0.002), col.lash, lash)
        u = np.linspace(0.0, 1.0, 9)  # inner end -> outer end
        bx = side * (ex - 0.95 * ew + 2.2 * ew * u)
        by = brow_y - 0.012 * np.sin(np.pi * u) - f["eyebrow_tilt"] * 0.022 * (1 - 1.5 * u)
        half = thick * (1.0 - 0.45 * u) / 2
        c.fill(
            c.surface(
                np.concatenate([bx, bx[::-1]]), np.concatenate([by - half, (by + half)[::-1]])
            ),
            col.brow,
        )


def _draw_nose(c: _Canvas, f: dict[str, float], col: _Colors) -> None:
    size = (0.8 + 0.5 * f["nose_size"]) * c.a / 0.325
    tip = 0.4 * c.b
    shadow_side = -1.0 if np.cos(np.radians(f["light_angle"])) >= 0 else 1.0
    t = np.linspace(0.0, 1.0, 6)
    ridge_x = shadow_side * (0.016 + 0.012 * t) * size
    ridge_y = tip - 0.015 - 0.07 * (1.0 - t)
    c.line(c.surface(ridge_x, ridge_y, lift=0.03 * t), col.skin_shadow, 0.009 * size)
    wing_x = 0.036 * size * np.cos(_HALF)
    wing_y = tip - 0.004 + 0.012 * size * np.sin(_HALF)
    c.line(c.surface(wing_x, wing_y, lift=0.03), col.skin_dark, 0.006)
    for side in (-1.0, 1.0):
        nx = side * 0.015 * size + 0.008 * size * np.cos(_T24)
        ny = tip + 0.006 * size + 0.0045 * size * np.sin(_T24)
        c.fill(c.surface(nx, ny, lift=0.03), col.nostril)


def _lip_curves(c: _Canvas, f: dict[str, float]) -> dict[str, np.ndarray]:
    """x and the four lip curves (outer/inner, upper/lower) of the mouth, left to right."""
    half_width = (0.05 + 0.035 * f["mouth_width"]) * c.a / 0.325
    x = half_width * _U
    bulge = 1.0 - _U**2
    seam = 0.62 * c.b - 0.026 * f["smile"] * _U**2
    gap = 0.032 * f["mouth_open"] * bulge
    upper_inner = seam - 0.35 * gap
    lower_inner = seam + 0.65 * gap
    bow = 1.0 - 0.35 * np.exp(-((_U / 0.18) ** 2))
    upper = (0.011 if f["Male"] else 0.014) * bulge**0.6 * bow
    lower = (0.013 if f["Male"] else 0.017) * bulge**0.6
    return {
        "x": x,
        "upper_outer": upper_inner - upper,
        "upper_inner": upper_inner,
        "lower_inner": lower_inner,
        "lower_outer": lower_inner + lower,
    }


def _draw_beard(c: _Canvas, f: dict[str, float], col: _Colors, lips: dict[str, np.ndarray]) -> None:
    if not f["No_Beard"]:
        top = _EYE_Y + 0.07
        y = np.linspace(top, c.b, 10)
        x = _face_x(c, f, y) * 1.02
        outer_x = np.concatenate([x, -x[::-1]])
        y = y + 0.012 * (y - top) / (c.b - top)
        outer_y = np.concatenate([y, y[::-1]])
        mouth_top = lips["upper_outer"].min()
        half = lips["x"][-1]
        inner_x = np.array([-0.82, -0.6, 0.0, 0.0, 0.0, 0.6, 0.82]) * c.a
        inner_x[2:5] += np.array([-half - 0.02, 0.0, half + 0.02])
        inner_y = np.array([top + 0.01, 0.4 * c.b, mouth_top - 0.008, mouth_top - 0.016])
        inner_y = np.concatenate([inner_y, inner_y[2::-1]])
        points = np.vstack([c.outline(outer_x, outer_y), c.surface(inner_x, inner_y)])
        c.fill(points, col.beard)
    if f["Mustache"]:
        x = lips["x"] * 1.2
        low = lips["upper_outer"] - 0.002
        high = low - 0.014 - 0.01 * (1 - _U**2)
        low = low + 0.012 * _U**2
        c.fill(
            c.surface(np.concatenate([x, x[::-1]]), np.concatenate([high, low[::-1]])), col.beard
        )


def _draw_mouth(c: _Canvas, f: dict[str, float], col: _Colors, lips: dict[str, np.ndarray]) -> None:
    x = lips["x"]
    xx = np.concatenate([x, x[::-1]])
    c.fill(c.surface(xx, np.concatenate([lips["upper_outer"], lips["lower_outer"][::-1]])), col.lip)
    if f["mouth_open"] > 0.12:
        c.fill(
            c.surface(xx, np.concatenate([lips["upper_inner"], lips["lower_inner"][::-1]])),
            col.mouth,
        )
        teeth = (
            lips["upper_inner"] + np.minimum(lips["lower_inner"] - lips["upper_inner"], 0.011) * 0.8
        )
        inner = slice(2, -2)
        tx = np.concatenate([x[inner], x[inner][::-1]])
        c.fill(
            c.surface(tx, np.concatenate([lips["upper_inner"][inner], teeth[inner][::-1]])),
            col.teeth,
        )
    else:
        c.line(c.surface(x, lips["upper_inner"]), col.mouth, 0.005)


def _draw_glasses(c: _Canvas, f: dict[str, float], col: _Colors) -> None:
    scale = c.a / 0.325
    ex, ew = _eye_layout(c, f)
    gw, gh = max(ew * 1.45, 0.05 * scale), max(ew * 1.05, 0.036 * scale)
    cos_t, sin_t = np.cos(_T24), np.sin(_T24)
    rounded_x = np.sign(cos_t) * np.abs(cos_t) ** 0.5
    rounded_y = np.sign(sin_t) * np.abs(sin_t) ** 0.5
    for side in (-1.0, 1.0):
        rim = c.surface(side * ex + gw * rounded_x, _EYE_Y + 0.004 + gh * rounded_y)
        c.ring(rim, col.frame, 0.011)
        temple_x = side * np.array([ex + gw, c.a * 0.97])
        c.line(c.surface(temple_x, np.array([_EYE_Y - 0.004, _EYE_Y + 0.004])), col.frame, 0.01)
    bridge_x = (ex - gw) * np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    bridge_y = _EYE_Y - 0.004 - np.array([0.0, 0.006, 0.008, 0.006, 0.0])
    c.line(c.surface(bridge_x, bridge_y, lift=0.02), col.frame, 0.01)


def _draw_hair(c: _Canvas, f: dict[str, float], col: _Colors) -> None:
    """The hair on top of the head (and, for long hair, the locks framing the face)."""
    if f["Bald"]:
        for side in (-1.0, 1.0):  # a fringe around the ears
            y = np.linspace(-0.35 * c.b, _EYE_Y + 0.07, 9)
            x = side * _face_x(c, f, y)
            bulge = np.sin(np.linspace(0.0, np.pi, 9))
            ring_x = np.concatenate([x * (1.0 + 0.05 * bulge), (x * (1.0 - 0.1 * bulge))[::-1]])
            c.fill(c.outline(ring_x, np.concatenate([y, y[::-1]])), col.hair)
        return
    volume = f["hair_volume"]
    grow_x, grow_y = 1.04 + 0.08 * volume, 1.03 + 0.1 * volume
    t = np.linspace(0.06, np.pi - 0.06, 21)
    outer = c.outline(c.a * grow_x * np.cos(t), -c.b * grow_y * np.sin(t) - 0.01)
    u = np.linspace(-1.0, 1.0, 21)  # left temple -> right temple
    side_x = np.array([-0.97, 0.97]) * c.a
    if f["Bangs"]:
        fringe = 0.012 * np.abs(np.sin(7.0 * np.pi * (u + 1) / 2))
        line_y = _EYE_Y - 0.085 + 0.05 * u**4 - fringe + 0.015 * f["hair_part"] * u
        line_x = 0.93 * c.a * u
    else:
        line_y = -0.58 * c.b + 0.24 * c.b * u**2 + 0.05 * f["hair_part"] * u * (1 - u**2)
        line_x = 0.9 * c.a * u
    line_y = np.concatenate([[_EYE_Y - 0.01], line_y, [_EYE_Y - 0.01]])
    line_x = np.concatenate([side_x[:1], line_x, side_x[1:]])
    c.fill(np.vstack([outer, c.surface(line_x, line_y)]), col.hair)
    light_x = np.cos(np.radians(f["light_angle"]))
    t = np.linspace(-0.45, 0.45, 7) + np.pi / 2 - 0.5 * light_x
    sheen_x, sheen_y = 0.8 * c.a * grow_x * np.cos(t), -0.85 * c.b * grow_y * np.sin(t)
    c.line(c.outline(sheen_x, sheen_y), col.hair_sheen, 0.014)
    if f["Long_Hair"]:
        for side in (-1.0, 1.0):
            y = np.linspace(_EYE_Y - 0.05, c.b + 0.14, 10)
            inner = _face_x(c, f, np.minimum(y, c.b)) - 0.015 - 0.03 * (y - y[0])
            inner = np.maximum(inner, np.where(y > 0.5 * c.b, 0.58 * c.a, 0.0))
            out = _face_x(c, f, np.minimum(y, c.b * 0.5)) + 0.04 + 0.04 * volume
            lock_x = side * np.concatenate([inner, out[::-1]])
            c.fill(c.outline(lock_x, np.concatenate([y, y[::-1]])), col.hair)
    elif f["Male"]:
        for side in (-1.0, 1.0):
            y = np.array([_EYE_Y - 0.02, _EYE_Y + 0.06, _EYE_Y + 0.06, _EYE_Y - 0.02])
            x = side * (_face_x(c, f, y) + np.array([0.01, 0.005, -0.02, -0.03]))
            c.fill(c.outline(x, y), col.hair)


def _light(image: np.ndarray, f: dict[str, float]) -> np.ndarray:
    """Brighten the side the light comes from and darken the other, at the final size."""
    size = image.shape[0]
    coords = (np.arange(size, dtype=np.float32) + 0.5) / size * 2.0 - 1.0
    angle = np.radians(f["light_angle"])
    strength = 0.08 + 0.3 * f["light_strength"]
    gain = 1.0 + strength * (
        np.cos(angle) * coords[None, :] + np.sin(angle) * coords[:, None]
    ).astype(np.float32)
    return np.clip(image * gain[:, :, None], 0, 255).astype(np.uint8)


def render_face(factors: dict[str, float], image_size: int) -> np.ndarray:
    """The uint8 (image_size, image_size, 3) face with these factors."""
    missing = [name for name in FACTOR_NAMES if name not in factors]
    if missing:
        raise ValueError(f"factors are missing {', '.join(missing)}")
    if image_size < 1:
        raise ValueError(f"image_size must be positive, got {image_size}")
    f = factors
    col = _Colors(f)
    c = _Canvas(f, image_size * _SCALE, col.background)
    _draw_body(c, f, col)
    _draw_head(c, f, col)
    _draw_eyes(c, f, col)
    _draw_nose(c, f, col)
    lips = _lip_curves(c, f)
    _draw_beard(c, f, col, lips)
    _draw_mouth(c, f, col, lips)
    if f["Eyeglasses"]:
        _draw_glasses(c, f, col)
    _draw_hair(c, f, col)
    small = c.image.resize((image_size, image_size), Image.LANCZOS)
    return _light(np.asarray(small), f)
