"""Tests of mnist_lesson.plots: the figures lessons draw."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

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
    with pytest.raises(ValueError, match="expected 10 probabilities"):
        plots.prediction_bars(np.zeros((28, 28)), [0.5, 0.5])


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
