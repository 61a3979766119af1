"""One class per source kind; the keyword forms of add_source map onto them."""

import brian2 as b2
import pytest

from pulsegated.circuit import (Circuit, CircuitError, DataSource, PatternSource, PoissonSource,
                                Schedule, SpikeSource, SpikeTrain)


@pytest.mark.parametrize("kwargs,cls,kind", [
    (dict(steps=(0, 3), indices=(1, 0)), SpikeTrain, "train"),
    (dict(steps=(5,)), SpikeTrain, "train"),
    (dict(data_phase=2), DataSource, "data"),
    (dict(phases=(4, 6)), PatternSource, "pattern"),
    (dict(rate=10 * b2.Hz), PoissonSource, "poisson"),
])
def test_keyword_forms_make_the_source_of_their_kind(kwargs, cls, kind):
    c = Circuit("c", schedule=Schedule(n_phases=12, ring=()))
    c.add_population("p", 2)
    src = c.add_source("s", 2, **kwargs)
    assert type(src) is cls and isinstance(src, SpikeSource)
    assert src.kind == kind and src.size == 2 and c.sources["s"] is src
    for k, v in kwargs.items():
        assert getattr(src, k) == v
    c.validate()


def test_source_objects_are_accepted_and_validated():
    c = Circuit("c")
    c.add_population("p", 1)
    src = c.add_source(SpikeTrain("kick", 3, steps=(0, 0), indices=(0, 2)))
    assert c.sources["kick"] is src and src.kind == "train"
    with pytest.raises(CircuitError, match="give a source object or keywords, not both"):
        c.add_source(SpikeTrain("k2", steps=(1,)), steps=(2,))
    c.add_source(SpikeTrain("bad", 2, steps=(1,), indices=(2,)))
    with pytest.raises(CircuitError, match=r"source 'bad': index=2 is above the allowed maximum 1"):
        c.validate()


@pytest.mark.parametrize("src,message", [
    (DataSource("d", 2, data_phase=12), "data_phase=12 is above the allowed maximum 11"),
    (PatternSource("r", 1, phases=()), "a pattern source needs at least one phase"),
    (PoissonSource("n", 2), "a Poisson source needs a rate"),
    (SpikeTrain("t", 2, steps=(1, 2), indices=(0,)), r"indices \(1\) and steps \(2\) differ"),
])
def test_each_kind_checks_its_fields(src, message):
    c = Circuit("c", schedule=Schedule(n_phases=12, ring=()))
    c.add_population("p", 1)
    c.add_source(src)
    with pytest.raises(CircuitError, match=f"source '{src.name}': {message}"):
        c.validate()
