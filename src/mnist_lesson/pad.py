"""A drawing pad: draw a digit with mouse, pen or finger, and trained networks read it (introduced in lesson 02).

The pad is an anywidget widget; its JavaScript, ``pad.js``, is also the website's "Try it" page's.
Whatever is drawn (strokes), uploaded (a photo or scan) or picked (a sample drawing) becomes one
MNIST-style 28×28 image by the course's own conversion (``handwriting.to_mnist_style`` and
``read_digit_image``), and every network reads that image. Without a browser (a headless run), the
pad holds a sample drawing shipped with the package, so everything it computes is the same on
every run and can be printed as ordinary outputs.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import anywidget
import numpy as np
import traitlets

from mnist_lesson.handwriting import predict_digit, read_digit_image, to_mnist_style

#: The package folder that holds pad.js and the sample drawings (package data; the site ships them too).
HERE = Path(__file__).parent
#: The pad's square, in the coordinates strokes are given in (the canvas's pixels), and the pen's width there.
SIZE = 280
PEN_WIDTH = 18
#: Sample drawings shipped with the package: {name: strokes}, each stroke a list of [x, y] points in SIZE × SIZE.
SAMPLES: dict[str, list] = json.loads((HERE / "pad_samples.json").read_text())
#: The drawing a new pad holds until someone draws: what a headless run reads.
FIRST_SAMPLE = "one"
#: An upload larger than this is refused before it is read (a phone photo is a few MB).
LARGEST_UPLOAD = 20_000_000


def check_strokes(strokes) -> list[list[list[float]]]:
    """The strokes as lists of [x, y] points inside the pad's square, or a ValueError that says what is wrong."""
    if isinstance(strokes, str | bytes) or not isinstance(strokes, Sequence):
        raise ValueError(f"strokes must be a list of strokes, each a list of [x, y] points; got {type(strokes)}")
    checked = []
    for number, stroke in enumerate(strokes):
        try:
            points = np.asarray(stroke, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"stroke {number} is not a list of [x, y] number pairs") from None
        if points.ndim != 2 or points.shape[1] != 2 or len(points) == 0:
            raise ValueError(f"stroke {number} must be a list of [x, y] points, got an array of shape {points.shape}")
        if not np.isfinite(points).all():
            raise ValueError(f"stroke {number} holds NaN or infinite coordinates")
        checked.append(np.clip(points, 0, SIZE).tolist())
    return checked


def render_strokes(strokes) -> np.ndarray:
    """Draw strokes as the canvas does (white, round pen, on black) into a SIZE × SIZE float image of ink 0–1."""
    from PIL import Image, ImageDraw

    image = Image.new("L", (SIZE, SIZE), 0)
    draw = ImageDraw.Draw(image)
    radius = PEN_WIDTH / 2
    for stroke in check_strokes(strokes):
        points = [tuple(point) for point in stroke]
        if len(points) > 1:
            draw.line(points, fill=255, width=PEN_WIDTH, joint="curve")
        for x, y in points[:1] + points[-1:]:  # round caps at both ends, as the canvas's lineCap = "round"
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=255)
    return np.asarray(image, dtype=np.float64) / 255


def strokes_to_image(strokes) -> np.ndarray | None:
    """The MNIST-style 28×28 uint8 image of a drawing (to_mnist_style), or None when nothing is drawn."""
    ink = render_strokes(strokes)
    return to_mnist_style(ink) if ink.max() > 0 else None


def network_input(model, shape: Sequence[int] | None):
    """A model that reads one image laid out as `shape` (e.g. (784,) or (28, 28, 1)); the model itself if None."""
    if shape is None:
        return model
    if int(np.prod(shape)) != 784:
        raise ValueError(f"an input shape must hold one image's 784 pixels, such as (784,) or (28, 28, 1); got {shape}")

    class Laid:  # predict_digit lays pixels out by input_shape: give it the one the caller said
        input_shape = (None, *shape)

        @staticmethod
        def predict(x, verbose=0):
            return model.predict(x, verbose=verbose)

    return Laid()


def answer_text(probabilities) -> str:
    """The answer as the pad shows it: the digit, then its probability in percent, e.g. "4 (97 %)"."""
    probabilities = np.asarray(probabilities)
    digit = int(probabilities.argmax())
    return f"{digit} ({probabilities[digit]:.0%})".replace("%", " %")


class Pad(anywidget.AnyWidget):
    """Draw a digit (or upload one, or pick a sample) and see what each network reads (lesson 02)."""

    # `networks` is one Keras model, or {name: model} for several side by side. Each model gets the
    # 28×28 image laid out as its `input_shape` says; `inputs` = {name: shape} says it instead.

    _esm = HERE / "pad.js"
    _css = ""
    strokes = traitlets.List([]).tag(sync=True)
    samples = traitlets.Dict({}).tag(sync=True)
    image28 = traitlets.Bytes(b"").tag(sync=True)
    results = traitlets.List([]).tag(sync=True)
    message = traitlets.Unicode("").tag(sync=True)
    source = traitlets.Unicode("").tag(sync=True)

    def __init__(self, networks, inputs: Mapping[str, Sequence[int]] | None = None, sample: str | None = FIRST_SAMPLE):
        if not isinstance(networks, Mapping):
            networks = {"the network": networks}
        if not networks:
            raise ValueError("give the pad at least one trained network")
        for name, network in networks.items():
            if not hasattr(network, "predict"):
                raise ValueError(f"{name!r} is not a Keras model (it has no predict method): pass a trained model")
        unknown = set(inputs or {}) - set(networks)
        if unknown:
            raise ValueError(f"inputs names networks the pad was not given: {sorted(unknown)}")
        self.networks = {name: network_input(network, (inputs or {}).get(name)) for name, network in networks.items()}
        self.image: np.ndarray | None = None
        self.probabilities: dict[str, np.ndarray] = {}
        super().__init__(samples=SAMPLES)
        self.observe(self._on_strokes, names="strokes")
        self.on_msg(self._message)
        if sample is not None:
            self.show_sample(sample)

    # ----------------------------------------------------------------- what Python reads

    @property
    def answers(self) -> dict[str, str]:
        """Each network's answer as text, e.g. {"the network": "4 (97 %)"}; empty while nothing is drawn."""
        return {name: answer_text(p) for name, p in self.probabilities.items()}

    @property
    def answer(self) -> str:
        """The first network's answer as text, e.g. "4 (97 %)"; "" while nothing is drawn."""
        return next(iter(self.answers.values()), "")

    @property
    def result(self) -> tuple[int, np.ndarray]:
        """The first network's digit and ten probabilities, as predict_digit returns them."""
        if self.image is None:
            raise ValueError("the pad is empty: draw a digit (or pick a sample) first")
        probabilities = next(iter(self.probabilities.values()))
        return int(probabilities.argmax()), probabilities

    @property
    def digits(self) -> dict[str, int]:
        """Each network's digit, the one with the largest probability."""
        return {name: int(p.argmax()) for name, p in self.probabilities.items()}

    # ----------------------------------------------------------------- what changes the drawing

    def draw(self, strokes) -> None:
        """Replace the drawing with these strokes (lists of [x, y] points in the pad's SIZE × SIZE square)."""
        self.strokes = check_strokes(strokes)  # the observer below converts and reads it

    def clear(self) -> None:
        """Empty the pad."""
        self.strokes = []
        self._show(None, "")

    def show_sample(self, name: str) -> None:
        """Draw one of the sample drawings shipped with the package (SAMPLES)."""
        if name not in SAMPLES:
            raise ValueError(f"no sample drawing named {name!r}; the samples are {', '.join(SAMPLES)}")
        self.draw(SAMPLES[name])
        self.source = f"sample: {name}"

    def load_file(self, path) -> None:
        """Read a digit from an image file (a photo or scan), converted by read_digit_image."""
        image = read_digit_image(path)
        self.strokes = []
        self._show(image, f"file: {Path(path).name}")

    # ----------------------------------------------------------------- the browser's side

    def _on_strokes(self, change) -> None:
        try:
            image = strokes_to_image(change["new"])
        except ValueError as error:
            # The previous image and answers would read as this drawing's: show none, and say why.
            self._show(None, "")
            self.message = f"That drawing could not be read, so the pad shows no answer: {error}. Draw again."
            return
        self._show(image, "drawing" if image is not None else "")

    def _message(self, _, content, buffers) -> None:
        """Messages from pad.js: a sample picked, or a file uploaded (its bytes in buffers)."""
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "clear":
            self.clear()
        elif kind == "sample":
            try:
                self.show_sample(str(content.get("name")))
            except ValueError as error:
                self.message = str(error)
        elif kind == "upload":
            self.upload(str(content.get("name") or "upload"), buffers[0] if buffers else b"")

    def upload(self, name: str, data: bytes) -> None:
        """Read an uploaded file's bytes as a digit; a file that is no digit image sets `message`, never raises."""
        data = bytes(data)
        if not data:
            self.message = f"{name} is empty: choose an image file (PNG or JPEG) of one digit"
            return
        if len(data) > LARGEST_UPLOAD:
            self.message = f"{name} is larger than {LARGEST_UPLOAD // 1_000_000} MB: save a smaller copy"
            return
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / Path(name).name
            path.write_bytes(data)
            try:
                self.load_file(path)
            except ValueError as error:
                self.message = f"Could not read a digit: {error}".replace(str(path), name)

    def _show(self, image: np.ndarray | None, source: str) -> None:
        """Read the image with every network and publish it all to the browser."""
        self.image = image
        self.probabilities = (
            {}
            if image is None
            else {name: np.asarray(predict_digit(network, image)[1]) for name, network in self.networks.items()}
        )
        self.message = ""
        self.source = source
        self.image28 = b"" if image is None else image.tobytes()
        self.results = [
            {"name": name, "probabilities": [float(v) for v in p]} for name, p in self.probabilities.items()
        ]

    def _repr_mimebundle_(self, **kwargs):
        """The widget, with a plain-text stand-in where no widget can be shown (a static page)."""
        bundle = super()._repr_mimebundle_(**kwargs)
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
        data = dict(data or {})
        data["text/plain"] = f"Drawing pad ({', '.join(self.networks)}): run this notebook in JupyterLab to draw."
        return data, metadata
