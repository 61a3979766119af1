import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from pulsegated.plotting.curves import REFERENCES, plot_accuracy_runs  # noqa: E402
from pulsegated.plotting.nbp import save_accuracy_curve  # noqa: E402
from pulsegated.plotting.style import legend_overlaps_data, unlabelled_axes  # noqa: E402


def _history(seed, epochs=20):
    rng = np.random.default_rng(seed)
    out = []
    for e in range(1, epochs + 1):
        base = 0.9 - 0.3 / e
        rec = {"epoch": e, "seed": seed}
        for split, shift in (("test", 0.0), ("train", 0.02)):
            rec[split] = {"acc_potential": base + shift, "acc_spikes": base - 0.02 + shift,
                          "exact": base - 0.04 + shift + 0.001 * rng.random(), "mse": 0.01}
        out.append(rec)
    return out


def _legend_texts(fig):
    return [t.get_text() for leg in fig.legends for t in leg.get_texts()]


def test_one_legend_for_all_panels_with_the_readme_wording():
    runs = {s: _history(s) for s in (0, 1, 2)}
    fig = plot_accuracy_runs(runs, "mnist")
    assert len(fig.legends) == 1 and all(ax.get_legend() is None for ax in fig.axes)
    texts = _legend_texts(fig)
    assert len(texts) == len(set(texts))  # nothing repeated
    ref = [t for t in texts if "Loihi" in t]
    assert len(ref) == 1 and "96.2–96.3 %" in ref[0]
    assert "Renner et al., Nat. Commun. 2024" in ref[0]
    assert "spike" in ref[0]
    # the reference band covers 96.2-96.3 % in every panel
    for ax in fig.axes:
        ys = [line.get_ydata()[0] for line in ax.lines if line.get_gid() == "reference"]
        assert ys == [96.25]
    assert unlabelled_axes(fig) == []
    plt.close(fig)


def test_fashion_reference_is_the_authors_code_after_15_epochs():
    fig = plot_accuracy_runs({0: _history(0)}, "fashion-mnist")
    texts = _legend_texts(fig)
    assert not any("published" in t for t in texts)
    refs = [t for t in texts if "authors' reference code" in t]
    assert len(refs) == 2 and any("80 %" in t for t in refs) and any("77 %" in t for t in refs)
    points = sorted((line.get_xdata()[0], line.get_ydata()[0]) for line in fig.axes[0].lines
                    if line.get_gid() == "reference")
    assert points == [(15, 77.0), (15, 80.0)]
    assert [r.epoch for r in REFERENCES["fashion-mnist"]] == [15, 15]
    plt.close(fig)


def test_single_run_curve_legend_outside_the_data(tmp_path):
    import pulsegated.plotting.curves as C

    fig, ax = plt.subplots()
    C.plot_accuracy_curves(_history(0), ax=ax, title="t")
    assert legend_overlaps_data(ax) == 0
    assert unlabelled_axes(fig) == []
    plt.close(fig)
    path = save_accuracy_curve(_history(0), tmp_path / "c.png", title="built-in")
    assert path.stat().st_size > 10000


def test_ramp_readout_curve_only_where_the_records_have_it():
    plain = {0: _history(0)}
    ramp = {0: _history(0)}
    for rec in ramp[0]:
        for split in ("test", "train"):
            rec[split]["acc_first_spike"] = rec[split]["acc_potential"] - 0.001
    label = "first spike (ramp readout)"
    fig_plain, fig_ramp = plot_accuracy_runs(plain, "mnist"), plot_accuracy_runs(ramp, "mnist")
    assert label not in _legend_texts(fig_plain) and label in _legend_texts(fig_ramp)
    styles = [ln.get_linestyle() for ln in fig_ramp.axes[0].lines if ln.get_gid() != "reference"]
    assert styles.count("-.") == 2                           # test and training set
    assert len(fig_ramp.axes[0].lines) == len(fig_plain.axes[0].lines) + 2
    plt.close("all")
