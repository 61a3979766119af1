import json

from pulsegated.cli import main


def test_graded_bp_json_per_cycle(capsys):
    assert main(["graded-bp", "--cycles", "3", "--json"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    recs = [json.loads(line) for line in lines]
    assert [r["cycle"] for r in recs] == [1, 2, 3]
    assert {"cycle", "loss", "W", "target", "max_weight_error"} <= set(recs[0])
    assert len(recs[0]["W"]) == 3 and len(recs[0]["target"][0]) == 3


def test_graded_bp_bad_flags(capsys):
    assert main(["graded-bp", "--eta", "3"]) == 2
    assert "--eta" in capsys.readouterr().err
    assert main(["graded-bp", "--cycles", "0"]) == 2
    assert main(["graded-bp", "--device", "cpp_standalone"]) == 2
    assert "--spiking" in capsys.readouterr().err


def test_graded_bp_xor_cli(capsys):
    # too few cycles to learn: the records are printed and the exit status says "not solved"
    assert main(["graded-bp", "--task", "xor", "--cycles", "4", "--hidden", "2", "--json"]) == 1
    recs = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert [r["cycle"] for r in recs] == [1, 2, 3, 4]
    assert sorted(r["pattern"] for r in recs) == [0, 1, 2, 3]  # each pattern once per block
    assert {"o", "t", "loss", "solved", "backward_deviation", "W"} <= set(recs[0])
    assert len(recs[0]["W"]["W1"]) == 2 and len(recs[0]["W"]["W2"][0]) == 3
    assert main(["graded-bp", "--hidden", "3"]) == 2
    assert "--hidden" in capsys.readouterr().err
    assert main(["graded-bp", "--task", "xor", "--hidden", "0"]) == 2


def test_graded_bp_loihi_cli(capsys):
    """--loihi: the linear map on chip integers, the same JSON records (mode "loihi"), the
    weights on the chip's mantissa grid."""
    from pulsegated.gradedbp.chip import ChipGradedParams, plastic_exponent

    assert main(["graded-bp", "--loihi", "--cycles", "3", "--json"]) == 0
    recs = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert [r["cycle"] for r in recs] == [1, 2, 3]
    assert {r["mode"] for r in recs} == {"loihi"}
    p = ChipGradedParams()
    w = p.unit_weight("x") / 2 ** plastic_exponent(p)
    M = [[v * w for v in row] for row in recs[-1]["W"]]
    assert all(abs(m - round(m)) < 1e-6 for row in M for m in row)
    for flags, word in ((["--loihi", "--spiking"], "--loihi"),
                        (["--loihi", "--task", "xor"], "--loihi"),
                        (["--loihi", "--device", "cpp_standalone"], "--spiking"),
                        (["--loihi", "--neurons", "1"], "--neurons")):
        assert main(["graded-bp", *flags]) == 2
        assert word in capsys.readouterr().err
