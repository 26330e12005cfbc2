"""Tests of mnist_lesson.plots: the figures lessons draw."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
from matplotlib.colors import to_rgb

from mnist_lesson import plots

HISTORY = {
    "accuracy": [0.9, 0.95, 0.97],
    "val_accuracy": [0.92, 0.96, 0.975],
    "loss": [0.3, 0.2, 0.1],
    "val_loss": [0.25, 0.15, 0.18],
}


def test_history_plot_draws_accuracy_and_loss_each_with_its_validation_twin():
    fig = plots.history_plot(HISTORY)
    accuracy, loss = fig.axes
    assert [line.get_label() for line in accuracy.get_lines()] == ["accuracy", "val_accuracy"]
    assert [line.get_label() for line in loss.get_lines()] == ["loss", "val_loss"]
    val = accuracy.get_lines()[1]
    assert list(val.get_xdata()) == [1, 2, 3] and list(val.get_ydata()) == [0.92, 0.96, 0.975]
    assert list(loss.get_lines()[1].get_ydata()) == [0.25, 0.15, 0.18]


def test_history_plot_tells_training_from_validation_without_colour():
    for ax in plots.history_plot(HISTORY).axes:
        training, validation = ax.get_lines()
        assert training.get_linestyle() != validation.get_linestyle()
        assert training.get_marker() != validation.get_marker()


def test_history_plot_keeps_the_accuracy_axis_honest():
    accuracy, loss = plots.history_plot(HISTORY).axes
    assert accuracy.get_ylim() == (0.9, 1.0) and loss.get_ylim()[0] == 0
    low = dict(HISTORY, accuracy=[0.62, 0.8, 0.9])
    assert plots.history_plot(low).axes[0].get_ylim() == (0.6, 1.0)


def test_history_plot_can_draw_one_metric():
    fig = plots.history_plot(HISTORY, metrics=("loss",))
    assert [ax.get_ylabel() for ax in fig.axes] == ["loss"]


def test_history_plot_names_a_missing_metric():
    with pytest.raises(ValueError, match="no val_accuracy, val_loss; it has accuracy, loss"):
        plots.history_plot({"accuracy": [0.9], "loss": [0.3]})


def test_prediction_bars_highlights_the_answer():
    probabilities = np.full(10, 0.02)
    probabilities[7] = 0.82
    fig = plots.prediction_bars(np.zeros((28, 28)), probabilities, label=7)
    bars = fig.axes[1].patches
    assert len(bars) == 10 and bars[7].get_height() == pytest.approx(0.82)
    assert fig.axes[1].get_title() == "the model's answer: 7"
    # In greyscale the answer's bar still stands out: far darker than every other bar.
    grey = [lightness(bar.get_facecolor()) for bar in bars]
    assert all(grey[7] < other - 30 for i, other in enumerate(grey) if i != 7), grey
    with pytest.raises(ValueError, match="expected 10 probabilities"):
        plots.prediction_bars(np.zeros((28, 28)), [0.5, 0.5])


# Colour vision deficiencies simulated as Machado, Oliveira and Fernandes (2009) do, at full severity: a 3×3 matrix
# on linear RGB for each kind of dichromacy.
DICHROMACY = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
}


def linear(rgb) -> np.ndarray:
    rgb = np.asarray(rgb, dtype=float)[..., :3]
    return np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def lab(rgb_linear) -> np.ndarray:
    """CIELAB (D65) of linear RGB colours, the last axis being R, G, B."""
    xyz = (
        np.clip(rgb_linear, 0, 1)
        @ np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]).T
    )
    xyz = xyz / [0.95047, 1.0, 1.08883]
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1)


def lightness(colour) -> float:
    """L* of a colour, 0 (black) to 100 (white): what is left of it in greyscale."""
    return float(lab(linear(to_rgb(colour)))[0])


def test_the_signed_map_keeps_negative_and_positive_apart_for_colour_blind_readers():
    # The largest values either side, and half of them: -1 against +1, -0.5 against +0.5.
    for low, high in ((0.0, 1.0), (0.25, 0.75)):
        pair = linear(matplotlib.colormaps[plots.DIVERGING]([low, high]))
        for name, matrix in {"normal vision": np.eye(3), **DICHROMACY}.items():
            negative, positive = lab(pair @ np.array(matrix).T)
            # CIE76 ΔE above 50: far apart, not just noticeably different (about 2.3 is the least one notices).
            assert np.linalg.norm(negative - positive) > 50, (name, low, high)


def test_the_signed_map_grows_darker_with_the_size_of_a_value_either_side_of_a_light_zero():
    # In greyscale the sign is lost (both ends are dark), but the size of a value is not: the filter panels
    # print their numbers for the sign.
    grey = lab(linear(matplotlib.colormaps[plots.DIVERGING](np.linspace(0, 1, 101))))[:, 0]
    assert grey[50] > 85
    assert np.all(np.diff(grey[:51]) > 0) and np.all(np.diff(grey[50:]) < 0)


def test_the_images_map_rises_steadily_in_lightness():
    grey = lab(linear(matplotlib.colormaps["gray"](np.linspace(0, 1, 101))))[:, 0]
    assert np.all(np.diff(grey) > 0)


def test_mistakes_gallery_titles_true_predicted_and_confidence():
    images = np.zeros((3, 784))
    fig = plots.mistakes_gallery(images, [4, 7, 3], [9, 2, 5], [0.9996, 0.875, 0.5], cols=2)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    # Rounded down, so that nothing short of certainty reads as 100%.
    assert titles == ["4 → 9 (99.9%)", "7 → 2 (87.5%)", "3 → 5 (50.0%)"]
    with pytest.raises(ValueError, match="as many labels"):
        plots.mistakes_gallery(images, [4], [9], [0.9])


def test_side_by_side_draws_two_rows():
    fig = plots.side_by_side(np.zeros((10, 8, 8)), np.zeros((10, 28, 28)), list(range(10)))
    assert len(fig.axes) == 20 and fig.axes[0].images[0].get_array().shape == (8, 8)


def test_side_by_side_adds_a_row_of_mnists_own_digits():
    mnist = np.full((10, 28, 28), 255, dtype=np.uint8)
    fig = plots.side_by_side(np.zeros((10, 8, 8)), np.zeros((10, 28, 28)), list(range(10)), mnist=mnist)
    assert len(fig.axes) == 30 and fig.axes[20].images[0].get_array().max() == 255
    assert [text.get_text() for ax in fig.axes[::10] for text in ax.texts] == ["as written", "MNIST-style", "MNIST"]
    with pytest.raises(ValueError, match="at least 10 images in each row"):
        plots.side_by_side(np.zeros((10, 8, 8)), np.zeros((10, 28, 28)), list(range(10)), mnist=mnist[:3])


def test_filter_response_draws_digit_filter_with_its_numbers_and_output():
    image = np.zeros((28, 28, 1))
    kernel = np.array([[-1, 0, 1]] * 3, dtype="float32").reshape(3, 3, 1, 1)
    response = np.ones((1, 26, 26, 1))
    fig = plots.filter_response(image, kernel, response)
    left, middle, right = fig.axes[:3]
    assert [t.get_text() for t in middle.texts] == ["-1", "0", "1"] * 3
    assert right.get_title() == "its output (26 × 26)" and left.get_title() == "the digit (28 × 28)"
    # White is zero: the colour scale is symmetric around it.
    assert middle.images[0].get_clim() == (-1.0, 1.0)


def test_filter_response_says_what_is_wrong_with_a_batch():
    with pytest.raises(ValueError, match=r"2-D grid.*\(2, 28, 28\)"):
        plots.filter_response(np.zeros((2, 28, 28)), np.zeros((3, 3)), np.zeros((26, 26)))


def test_filters_grid_draws_each_filter_of_a_first_layer():
    kernels = np.random.default_rng(0).normal(size=(3, 3, 1, 10))
    fig = plots.filters_grid(kernels, cols=4)
    drawn = [ax for ax in fig.axes if ax.images]
    assert len(drawn) == 10 and drawn[9].get_title() == "filter 9"
    np.testing.assert_array_equal(drawn[2].images[0].get_array(), kernels[:, :, 0, 2])
    # One colour scale for every filter: the largest weight of them all sets it.
    limit = np.abs(kernels).max()
    assert {image.get_clim() for ax in drawn for image in ax.images} == {(-limit, limit)}
    with pytest.raises(ValueError, match=r"\(height, width, 1, filters\); got shape \(3, 3, 32, 64\)"):
        plots.filters_grid(np.zeros((3, 3, 32, 64)))


def test_pooling_figure_shows_the_map_and_its_pooled_half_on_one_scale():
    feature_map = np.arange(26 * 26, dtype="float32").reshape(1, 26, 26, 1)
    pooled = feature_map[:, 1::2, 1::2]
    fig = plots.pooling_figure(feature_map, pooled)
    left, right = fig.axes
    assert left.get_title() == "feature map (26 × 26)" and right.get_title() == "after 2 × 2 max pooling (13 × 13)"
    assert left.images[0].get_clim() == right.images[0].get_clim() == (0, 26 * 26 - 1)
    with pytest.raises(ValueError, match=r"got shapes \(2, 26, 26\) and \(13, 13\)"):
        plots.pooling_figure(np.zeros((2, 26, 26)), np.zeros((13, 13)))


def test_augmentation_grid_puts_originals_above_their_versions():
    originals = np.zeros((4, 28, 28, 1))
    versions = [np.ones((4, 28, 28, 1)), np.full((4, 28, 28, 1), 0.5)]
    fig = plots.augmentation_grid(originals, versions)
    assert len(fig.axes) == 12
    assert fig.axes[4].images[0].get_array().max() == 1 and fig.axes[8].images[0].get_array().max() == 0.5
    with pytest.raises(ValueError, match="as many digits"):
        plots.augmentation_grid(originals, [np.zeros((3, 28, 28))])


def _parabola(w):
    return (w - 1.0) ** 2


def test_downhill_step_draws_the_curve_the_slope_and_the_step():
    fig = plots.downhill_step(_parabola, np.linspace(-2, 3, 50), -1.0, -4.0, 0.2)
    [ax] = fig.axes
    curve, tangent, start, end = ax.get_lines()
    assert len(curve.get_xdata()) == 50
    # The tangent touches the curve at w = -1 with the given slope.
    (x0, x1), (y0, y1) = tangent.get_xdata(), tangent.get_ydata()
    assert (y1 - y0) / (x1 - x0) == pytest.approx(-4.0) and (x0 + x1) / 2 == pytest.approx(-1.0)
    assert list(end.get_xdata()) == [0.2] and list(end.get_ydata()) == [pytest.approx(0.64)]
    assert "-4" in tangent.get_label() and "0.2" in end.get_label()
    assert start.get_marker() != end.get_marker(), "the start and the point after the step differ only in colour"


def test_learning_rate_paths_draws_each_run_in_full_even_when_it_diverges():
    paths = {0.1: [-1.0, -0.6, -0.28], 1.5: [-1.0, 5.0, -13.0]}
    fig = plots.learning_rate_paths(_parabola, np.linspace(-2, 3, 50), paths)
    small, diverging = fig.axes
    assert small.get_title() == "learning rate 0.1: 2 steps"
    # The diverging panel widens to hold every point of its path; none is clipped to the edge.
    points = diverging.get_lines()[1]
    assert list(points.get_xdata()) == [-1.0, 5.0, -13.0]
    assert diverging.get_xlim()[0] < -13 < 5 < diverging.get_xlim()[1]
    assert diverging.get_ylim()[1] >= _parabola(-13.0)
    visited, start = diverging.get_lines()[1:3]
    assert start.get_label() == "start" and start.get_marker() != visited.get_marker()


def test_learning_rate_paths_needs_a_path():
    with pytest.raises(ValueError, match="at least one path"):
        plots.learning_rate_paths(_parabola, np.linspace(-2, 3, 50), {})


def test_optimizer_paths_draws_every_path_and_cuts_one_that_leaves_the_map():
    inside = np.array([[-4.0, 1.0], [-2.0, 0.5], [0.0, 0.0]])
    leaving = np.array([[-4.0, 1.0], [-3.0, -30.0], [-2.0, 900.0]])

    def bowl(w):
        return 0.5 * float(np.sum(w**2))

    fig = plots.optimizer_paths([("a bowl", bowl, {"calm": inside, "wild": leaving})])
    [ax] = fig.axes
    calm, wild = (line for line in ax.get_lines() if line.get_label() in ("calm", "wild"))
    assert list(calm.get_xdata()) == [-4.0, -2.0, 0.0]
    # Drawn up to its first point outside the map, so the step that leaves shows; the rest is dropped.
    assert list(wild.get_ydata()) == [1.0, -30.0]
    assert ax.get_title() == "a bowl" and ax.get_ylim() == (-2.0, 2.0)
    # Each optimizer's path has its own line style and marker, not only its own colour.
    assert calm.get_linestyle() != wild.get_linestyle() and calm.get_marker() != wild.get_marker()


def test_optimizer_paths_needs_a_surface():
    with pytest.raises(ValueError, match="at least one surface"):
        plots.optimizer_paths([])


class _Tracked:
    """Stands in for a PyTorch tensor that tracks gradients: it refuses np.asarray until detached."""

    def __init__(self, values):
        self.values = np.asarray(values)

    def __array__(self, dtype=None, copy=None):
        raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")

    def detach(self):
        return self

    def cpu(self):
        return self.values


def test_the_figures_take_a_pytorch_layers_output_as_it_is():
    # Lesson 03 on PyTorch passes a Conv2D layer's output straight to filter_response.
    image, kernel = np.eye(28), np.ones((3, 3, 1, 1))
    fig = plots.filter_response(image, kernel, _Tracked(np.ones((1, 26, 26, 1))))
    assert fig.axes[2].get_images()[0].get_array().shape == (26, 26)


def test_the_figures_take_a_real_pytorch_tensor_that_tracks_gradients():
    torch = pytest.importorskip("torch")
    response = torch.ones((1, 26, 26, 1), requires_grad=True) * 2
    fig = plots.filter_response(np.eye(28), np.ones((3, 3, 1, 1)), response)
    assert float(fig.axes[2].get_images()[0].get_array().max()) == 2.0


def test_show_stores_the_description_as_the_figures_alt_and_plain_text(monkeypatch):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda data, raw, metadata: shown.append((data, metadata)))
    fig = plots.history_plot(HISTORY)
    plots.show(fig, "  Accuracy and loss over three epochs, training and validation.  ")
    [(data, metadata)] = shown
    assert data["image/png"].startswith("iVBORw0KGgo")  # a PNG, base64
    assert (
        data["text/plain"]
        == metadata["image/png"]["alt"]
        == ("Accuracy and loss over three epochs, training and validation.")
    )
    assert not matplotlib.pyplot.fignum_exists(fig.number), "show left the figure open, to be drawn twice"


@pytest.mark.parametrize("description", [None, "", "../_images/58f5a1.png", "figure.png", "a plot", "images/x"])
def test_show_refuses_a_description_that_cannot_stand_for_the_figure(description):
    with pytest.raises(ValueError, match="a figure needs a description of at least 5 words"):
        plots.check_description(description)
