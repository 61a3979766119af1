"""Training curves."""

from __future__ import annotations


def plot_accuracy_curves(history: list, ax=None, title: str | None = None,
                         published: float | None = None):
    """Test (and train) accuracy of the three readouts against epochs.

    Parameters
    ----------
    history : list of dict
        Evaluation records as produced by :class:`pulsegated.training.trainer.Trainer`.
    published : float, optional
        A published accuracy (fraction) drawn as a horizontal reference line.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 4.0))
    epochs = [r["epoch"] for r in history]
    styles = {"acc_potential": ("potential argmax", "-"), "acc_spikes": ("spike argmax", "--"),
              "exact": ("exact one-hot", ":")}
    for key, (label, ls) in styles.items():
        ax.plot(epochs, [100 * r["test"][key] for r in history], ls, color="C0",
                label=f"test, {label}", marker="o" if len(epochs) < 30 else None, ms=3)
        if history and "train" in history[0]:
            ax.plot(epochs, [100 * r["train"][key] for r in history], ls, color="C1",
                    label=f"train, {label}", alpha=0.8)
    if published is not None:
        ax.axhline(100 * published, color="k", lw=0.8, alpha=0.6)
        ax.text(epochs[0] if epochs else 0, 100 * published, f" published {100 * published:.1f}%",
                va="bottom", fontsize=8)
    ax.set_xlabel("epoch")
    ax.set_ylabel("accuracy (%)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.16),
              frameon=False)
    if title:
        ax.set_title(title)
    return ax
