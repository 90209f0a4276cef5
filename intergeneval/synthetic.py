"""Synthetic scenes with known masks: videos, a suite, mask tracks and scripted judge replies.

Example:
    >>> from intergeneval.synthetic import make_scene_set
    >>> scenes = make_scene_set("/tmp/scenes", n_videos=4)  # doctest: +SKIP
    >>> scenes.ids  # doctest: +SKIP
    ('syn000-approach-touch', 'syn001-vanish', 'syn002-appear', 'syn003-no-contact')

Each scene is a textured agent shape and a textured target shape on a textured background. The scenario
kinds cycle through `KINDS`: the agent approaches and touches the target; the target vanishes midway; an
extra object of the target's class appears midway (it is no roster object, so it has no track); the agent
never reaches the target. Masks are the visible pixels of each roster object (the agent is drawn last),
exact in every frame; the scripted replies answer the suite's questions and list the emergence and
disappearance frames from that ground truth, so the scripted judge + replay tracker score what is drawn.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from . import config
from .formats import suite_to_dict, write_json, write_suite
from .judges.scripted import FORMAT as ANSWERS_FORMAT
from .video import color, encode_video, sample_indices

log = logging.getLogger(__name__)

KINDS = ("approach_touch", "vanish", "appear", "no_contact")


@dataclass(frozen=True, slots=True)
class SceneSet:
    """Where a scene set was written: `videos/<id>.mp4`, `suite.json`, `tracks/<id>.npz`, `answers.json`."""

    root: Path
    videos: Path
    suite: Path
    tracks: Path
    answers: Path
    ids: tuple[str, ...]
    #: The scenario kind of each id (same order as `ids`).
    kinds: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Thing:
    cls: str
    appearance: str
    rgb: tuple[int, int, int]
    shape: str  # "ellipse" or "rect"
    size: tuple[float, float]  # (height, width) as fractions of the frame height


@dataclass(frozen=True, slots=True)
class _Cast:
    agent: _Thing
    target: _Thing
    interaction_type: str
    pairing: str
    direction: str
    verb: str  # third person, e.g. "touches"
    prompt: str  # "{a}" and "{t}" are the appearances
    outcome: str  # "{t}" is the target's mention


_CASTS = (
    _Cast(_Thing("hand", "a hand in an orange glove", (240, 150, 40), "ellipse", (0.30, 0.22)),
          _Thing("cup", "a white cup", (238, 238, 232), "rect", (0.34, 0.24)),
          "contact", "human-object", "unidirectional", "touches",
          "{A} reaches for {t} on a table and touches it.", "{t} is being touched"),
    _Cast(_Thing("person", "a person in a red shirt", (215, 40, 45), "ellipse", (0.55, 0.22)),
          _Thing("dog", "a brown dog", (150, 85, 30), "ellipse", (0.30, 0.36)),
          "force", "human-animal", "unidirectional", "pushes",
          "{A} walks up to {t} and pushes it aside.", "{t} is pushed aside"),
    _Cast(_Thing("person", "a person in a blue shirt", (40, 70, 230), "ellipse", (0.55, 0.22)),
          _Thing("person", "a person in a yellow shirt", (240, 215, 40), "ellipse", (0.55, 0.22)),
          "social", "human-human", "bidirectional", "hugs",
          "{A} walks over to {t} and hugs them.", "{t} is being hugged"),
    _Cast(_Thing("hand", "a hand in a green glove", (50, 200, 70), "ellipse", (0.30, 0.22)),
          _Thing("rock", "a reddish rock", (185, 65, 55), "ellipse", (0.28, 0.34)),
          "transport", "human-nature", "unidirectional", "lifts",
          "{A} reaches for {t} on the ground and lifts it.", "{t} is lifted"),
    _Cast(_Thing("hand", "a hand in a cyan glove", (40, 210, 220), "ellipse", (0.30, 0.22)),
          _Thing("jar", "a jar with a purple lid", (150, 60, 200), "rect", (0.36, 0.22)),
          "manipulation", "human-object", "unidirectional", "opens",
          "{A} reaches for {t} and opens it.", "{t} is open"),
)
#: Colour of the extra object that appears in "appear" scenes (it shares the target's class).
_EXTRA_RGB = (250, 110, 190)
#: Fractions of the video at which things happen (rounded to frames).
_CONTACT_AT, _VANISH_AT, _APPEAR_AT = 0.6, 0.5, 0.5


def make_scene_set(out_dir: str | Path, *, n_videos: int = 4, frames: int = 49,
                   size: tuple[int, int] = (240, 320), seed: int = 0, fps: float = 8,
                   text_only: int = 0) -> SceneSet:
    """Write `n_videos` synthetic scenes, their suite, ground-truth tracks and scripted replies.

    The same arguments give the same suite.json and answers.json bytes and videos that decode to the
    same frames.

    Args:
        out_dir: folder to write into (created; files of the same names are replaced).
        n_videos: number of scenes; kinds cycle through `KINDS`, casts (interaction type, pairing)
            through five fixed casts, so every category has content from 5 scenes on.
        frames: frames per video (at least 2).
        size: `(height, width)`, both even (the videos are yuv420p).
        seed: seeds the textures and small position offsets.
        fps: frame rate written into the videos.
        text_only: how many of the last scenes get no first-frame masks in the suite (text-to-video
            scenarios: a run must detect their objects on frame 0); their tracks and replies are still written.
    """
    height, width = size
    if n_videos < 1 or frames < 2:
        raise ValueError(f"need n_videos ≥ 1 and frames ≥ 2, got {n_videos} and {frames}")
    if not 0 <= text_only <= n_videos:
        raise ValueError(f"text_only must be between 0 and n_videos ({n_videos}), got {text_only}")
    if height % 2 or width % 2 or height < 32 or width < 32:
        raise ValueError(f"size must be (height, width), both even and at least 32, got {size}")
    root = Path(out_dir)
    videos, tracks, masks_dir = root / "videos", root / "tracks", root / "masks"
    for d in (videos, tracks, masks_dir):
        d.mkdir(parents=True, exist_ok=True)
    sampled = sample_indices(frames)
    scenarios, answers, ids, kinds = [], {}, [], []
    for i in range(n_videos):
        kind, cast = KINDS[i % len(KINDS)], _CASTS[i % len(_CASTS)]
        sid = f"syn{i:03d}-{kind.replace('_', '-')}"
        rng = np.random.default_rng([seed, i])
        scene = _Scene(kind, cast, frames, height, width, rng)
        video, track = scene.render()
        encode_video(videos / f"{sid}.mp4", video, fps=fps)
        np.savez_compressed(tracks / f"{sid}.npz", masks=track)
        (masks_dir / sid).mkdir(exist_ok=True)
        mask_paths = []
        for k in range(track.shape[1]):
            rel = f"masks/{sid}/id{k + 1}.png"
            Image.fromarray(track[0, k].astype(np.uint8) * 255).save(root / rel)
            mask_paths.append(rel)
        scenarios.append(_scenario(sid, cast, mask_paths if i < n_videos - text_only else None))
        answers[sid] = _answers(scene, sampled)
        ids.append(sid)
        kinds.append(kind)
    suite_dict = suite_to_dict(
        {"suite_id": "synthetic",
         "version": f"n{n_videos}-t{frames}-{height}x{width}-seed{seed}" + (f"-t2v{text_only}" if text_only else ""),
         "description": "Synthetic scenes with known masks (intergeneval.synthetic)."},
        scenarios,
    )
    write_suite(root / "suite.json", suite_dict)
    write_json(root / "answers.json", {"format": ANSWERS_FORMAT, "answers": answers})
    log.info("wrote %d synthetic scenes to %s", n_videos, root)
    return SceneSet(root, videos, root / "suite.json", tracks, root / "answers.json", tuple(ids),
                    tuple(kinds))


# ------------------------------------------------------------------------------------------ rendering
class _Scene:
    """One scene's geometry over time; `render` draws it and returns the frames and the exact masks."""

    def __init__(self, kind: str, cast: _Cast, frames: int, height: int, width: int,
                 rng: np.random.Generator):
        self.kind, self.cast, self.t, self.h, self.w = kind, cast, frames, height, width
        self.rng = rng
        jitter = rng.uniform(-0.02, 0.02, size=2)
        a, tg = cast.agent, cast.target
        # Centres in pixels; the agent starts left, the target stands right of centre.
        self.target_c = ((0.58 + jitter[1]) * height, (0.68 + jitter[0]) * width)
        self.agent_start = (0.58 * height, 0.18 * width)
        self.half = {"agent": self._half(a), "target": self._half(tg), "extra": self._half(tg)}
        # Contact: the agent overlaps the target's left edge a little (it is drawn in front).
        touch_x = self.target_c[1] - self.half["target"][1] - 0.7 * self.half["agent"][1]
        last = frames - 1
        self.contact_t = round(_CONTACT_AT * last)
        self.vanish_t = round(_VANISH_AT * last) if kind == "vanish" else None
        self.appear_t = round(_APPEAR_AT * last) if kind == "appear" else None
        if kind == "no_contact":  # goes 40 % of the way by mid-video, then back
            reach = [0.4 * (1 - abs(2 * f / last - 1)) for f in range(frames)]
        else:
            reach = [min(1.0, f / max(self.contact_t, 1)) for f in range(frames)]
        xs = [self._lerp(self.agent_start[1], touch_x, u) for u in reach]
        self.agent_x = xs
        ey, ex = self.half["extra"]  # the extra object stands fully inside the top-right corner
        self.extra_c = (ey + 4, width - ex - 4)

    def _half(self, thing: _Thing) -> tuple[float, float]:
        hh, ww = thing.size
        return hh * self.h / 2, ww * self.h / 2

    @staticmethod
    def _lerp(a: float, b: float, u: float) -> float:
        return a + (b - a) * u

    def touching(self, f: int) -> bool:
        """Whether agent and target touch at frame f (the target is present and the agent reached it)."""
        present = self.vanish_t is None or f < self.vanish_t
        return self.kind != "no_contact" and present and f >= self.contact_t

    def render(self) -> tuple[np.ndarray, np.ndarray]:
        """Frames `(T, H, W, 3)` uint8 and roster masks `(T, 2, H, W)` bool (agent, target)."""
        h, w = self.h, self.w
        background = _texture(self.rng, h, w, base=(105, 112, 120), amplitude=22)
        frames = np.empty((self.t, h, w, 3), dtype=np.uint8)
        masks = np.zeros((self.t, 2, h, w), dtype=bool)
        skins = {name: _texture(self.rng, h, w, base=rgb, amplitude=10) for name, rgb in
                 (("agent", self.cast.agent.rgb), ("target", self.cast.target.rgb), ("extra", _EXTRA_RGB))}
        shapes = {"agent": self.cast.agent.shape, "target": self.cast.target.shape,
                  "extra": self.cast.target.shape}
        for f in range(self.t):
            frame = frames[f]
            frame[:] = background
            # Drawn back to front: the extra object, the target, then the agent.
            layers = []
            if self.appear_t is not None and f >= self.appear_t:
                layers.append(("extra", self.extra_c, None))
            if self.vanish_t is None or f < self.vanish_t:
                layers.append(("target", self.target_c, 1))
            layers.append(("agent", (self.agent_start[0], self.agent_x[f]), 0))
            visible = np.zeros((h, w), dtype=bool)
            for name, centre, slot in reversed(layers):  # front first, so each mask is what is visible
                m = _shape_mask(shapes[name], centre, self.half[name], h, w) & ~visible
                frame[m] = skins[name][m]
                visible |= m
                if slot is not None:
                    masks[f, slot] = m
        return frames, masks


def _texture(rng: np.random.Generator, h: int, w: int, *, base: tuple[int, int, int],
             amplitude: float) -> np.ndarray:
    """A base colour with smooth stripes and mild grain, `(h, w, 3)` uint8."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    fx, fy, phase = rng.uniform(0.05, 0.15), rng.uniform(0.04, 0.12), rng.uniform(0, 2 * np.pi)
    waves = np.sin(xx * fx + yy * fy + phase) * 0.6 + np.sin(xx * fy * 0.5 - yy * fx * 0.7) * 0.4
    grain = rng.normal(0.0, 0.25, size=(h, w)).astype(np.float32)
    shade = (waves + grain) * amplitude
    tint = np.asarray(base, dtype=np.float32)
    return np.clip(tint[None, None, :] + shade[..., None], 0, 255).astype(np.uint8)


def _shape_mask(shape: str, centre: tuple[float, float], half: tuple[float, float], h: int,
                w: int) -> np.ndarray:
    """Mask of an ellipse or rectangle with this centre and half sizes (pixels), computed in its window."""
    cy, cx = centre
    hy, hx = half
    out = np.zeros((h, w), dtype=bool)
    y0, y1 = max(int(np.floor(cy - hy)), 0), min(int(np.ceil(cy + hy)) + 1, h)
    x0, x1 = max(int(np.floor(cx - hx)), 0), min(int(np.ceil(cx + hx)) + 1, w)
    if y0 >= y1 or x0 >= x1:
        return out
    yy = np.arange(y0, y1, dtype=np.float32)[:, None] - cy
    xx = np.arange(x0, x1, dtype=np.float32)[None, :] - cx
    if shape == "ellipse":
        out[y0:y1, x0:x1] = (yy / hy) ** 2 + (xx / hx) ** 2 <= 1.0
    else:
        out[y0:y1, x0:x1] = (np.abs(yy) <= hy) & (np.abs(xx) <= hx)
    return out


# ---------------------------------------------------------------------------------- suite and replies
def _mentions(cast: _Cast) -> tuple[str, str]:
    return (f"{cast.agent.appearance} ({color(0)[0]} bbox)", f"{cast.target.appearance} ({color(1)[0]} bbox)")


def _scenario(sid: str, cast: _Cast, mask_paths: list[str] | None) -> dict[str, Any]:
    a, t = _mentions(cast)
    verb = cast.verb
    base = verb[:-2] if verb.endswith("es") and verb[-3] in "sh" else verb[:-1]  # touches→touch, hugs→hug
    outcome = cast.outcome.format(t=t)
    steps = [f"{a} moves toward {t}", f"{a} comes close to {t}", f"{a} makes contact with {t}",
             f"{a} {verb} {t}"]
    questions = [
        f"Is {a} apart from {t}, not yet interacting with it?",
        f"Does {a} begin to move toward {t}?",
        f"Does {a} come close to {t}?",
        f"Does {a} make contact with {t}?",
        f"Does {a} {base} {t}?",
        f"Is the outcome visible: {outcome}?",
        f"Does {a} perform an action?",
        f"Is {a} the one who {verb} {t}?",
        f"Is {t} acted on by {a}?",
        f"Is {t} the one receiving the action?",
    ]
    agent, target = cast.agent, cast.target
    return {
        "id": sid,
        "video_prompt": cast.prompt.format(A=_capital(agent.appearance), t=target.appearance),
        "image_prompt": f"{_capital(agent.appearance)} and {target.appearance} on a textured background.",
        "objects": [{"class": agent.cls, "appearance": agent.appearance},
                    {"class": target.cls, "appearance": target.appearance}],
        "interaction_type": cast.interaction_type,
        "direction": cast.direction,
        "pairing": cast.pairing,
        "fields": {"subject": agent.appearance, "object": target.appearance, "action": verb, "steps": steps,
                   "outcome": outcome},
        **({"masks": mask_paths} if mask_paths else {}),
        "key_interactions": [{
            "text": f"{agent.appearance} {verb} {target.appearance}",
            "questions": [{"slot": k + 1, "text": q} for k, q in enumerate(questions)],
        }],
    }


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _answers(scene: _Scene, sampled: tuple[int, ...]) -> dict[str, Any]:
    """Scripted replies that say what the scene shows (see the module docstring)."""

    def first_at_or_after(t: int) -> int:
        return next((f for f in sampled if f >= t), sampled[-1])

    early = sampled[1] if len(sampled) > 1 else 0
    contact = first_at_or_after(scene.contact_t)
    close = first_at_or_after(round(0.7 * scene.contact_t))
    yes = {1: ("yes", 0), 2: ("yes", early), 3: ("yes", close), 4: ("yes", contact), 5: ("yes", contact),
           6: ("yes", sampled[-1]), 7: ("yes", early), 8: ("yes", contact), 9: ("yes", contact),
           10: ("yes", contact)}
    if scene.kind == "approach_touch":
        replies = yes
    elif scene.kind == "appear":  # touches, but the outcome frame holds an object from nowhere
        replies = {**yes, 6: ("no (visually implausible)", first_at_or_after(scene.appear_t or 0))}
    elif scene.kind == "vanish":  # comes close, then the target is gone before contact
        replies = {**yes, **{s: ("no", None) for s in (4, 5, 6, 8, 9, 10)}}
    else:  # no_contact: moves, never reaches
        replies = {**yes, **{s: ("no", None) for s in (3, 4, 5, 6, 8, 9, 10)}}
    qa = [{"question_id": s, "answer": a, "frame_index": f} for s, (a, f) in sorted(replies.items())]
    later = [f for f in sampled if f != 0]
    emerged = [f for f in later if scene.appear_t is not None and f >= scene.appear_t]
    vanished = [f for f in later if scene.vanish_t is not None and f >= scene.vanish_t]
    changes = {
        "emergence": "yes" if emerged else "no",
        "emergence_frames": emerged,
        "emergence_reason": f"an unboxed {scene.cast.target.cls} appears" if emerged else "nothing appears",
        "disappearance": "yes" if vanished else "no",
        "disappearance_frames": vanished,
        "disappearance_reason": f"the {color(1)[0]} box is gone" if vanished else "every box stays",
    }
    assert len(qa) == config.NUM_SLOTS
    return {"qa": [qa], "changes": changes}
