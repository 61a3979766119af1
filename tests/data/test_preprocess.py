import numpy as np
import pytest

from pulsegated.data import binarize, crop, flatten, preprocess


def test_crop_binarize_flatten():
    img = np.zeros((2, 28, 28), np.uint8)
    img[0, 4, 4] = 1        # corner of the 20x20 window, faint
    img[0, 3, 3] = 255      # just outside it
    img[1, 23, 23] = 200    # opposite corner
    img[1, 10, 10] = 127
    c = crop(img, 4)
    assert c.shape == (2, 20, 20) and c[0, 0, 0] == 1 and c[1, 19, 19] == 200
    any_ink = preprocess(img, crop=4, threshold="any")
    half = preprocess(img, crop=4, threshold="half")
    assert any_ink.shape == (2, 400) and any_ink.dtype == np.uint8
    assert any_ink[0].sum() == 1 and any_ink[0, 0] == 1
    assert any_ink[1].sum() == 2 and half[1].sum() == 1 and half[1, 399] == 1
    assert half[0].sum() == 0
    assert binarize(img, 200)[1, 23, 23] == 1 and binarize(img, 201)[1, 23, 23] == 0
    assert flatten(img).shape == (2, 784) and flatten(img).flags.c_contiguous


@pytest.mark.parametrize("kw,message", [
    (dict(crop=14), "leaves nothing"),
    (dict(crop=-1), "non-negative integer"),
    (dict(threshold=0), r"in 1..255, got 0"),
    (dict(threshold="dark"), "'any', 'half' or a raw level"),
    (dict(threshold=0.5), "'any', 'half' or a raw level"),
])
def test_bad_parameters(kw, message):
    with pytest.raises(ValueError, match=message):
        preprocess(np.zeros((1, 28, 28), np.uint8), **kw)


def test_images_must_be_uint8_3d():
    with pytest.raises(ValueError, match=r"uint8 array of shape \(N, H, W\)"):
        preprocess(np.zeros((1, 28, 28), np.float32))
    with pytest.raises(ValueError, match=r"shape \(28, 28\)"):
        crop(np.zeros((28, 28), np.uint8), 4)
