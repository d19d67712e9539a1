"""Input parsing and checking: every kind of bad input becomes an InputError."""

import numpy as np
import pytest

from bnviz import data
from bnviz.i18n import InputError
from bnviz.settings import DISTRIBUTIONS, Settings


@pytest.mark.parametrize(("text", "key"), [
    ("", "error.empty"),
    ("  \n \n", "error.empty"),
    ("1, a", "error.not_number"),
    ("1, 2\n3", "error.ragged"),
    ("1, 2\n , ,\n3, 4", "error.row_empty"),
    ("nan, 1\n2, 3", "error.not_finite"),
    ("1, inf", "error.not_finite"),
    ("1, -Infinity", "error.not_finite"),
    ("__import__('os'), 1", "error.not_number"),
    ("\n".join(["1"] * 513), "error.too_big"),
    (", ".join(["1"] * 17), "error.too_big"),
])
def test_bad_text_is_explained(text, key):
    with pytest.raises(InputError) as err:
        data.parse_matrix(text, "x")
    assert err.value.key == key
    assert err.value.message("zh") != err.value.message("en")


def test_good_text_parses_commas_spaces_and_semicolons():
    got = data.parse_matrix("1, 2\n 3 4 \n\n5,6;7 8", "x")
    assert got.tolist() == [[1, 2], [3, 4], [5, 6], [7, 8]]


@pytest.mark.parametrize("dist", [d for d in DISTRIBUTIONS if d != "custom"])
def test_distributions_have_the_right_shape_and_are_seeded(dist):
    a = data.make_problem(Settings(m=7, d=4, dist=dist, seed=3))
    b = data.make_problem(Settings(m=7, d=4, dist=dist, seed=3))
    c = data.make_problem(Settings(m=7, d=4, dist=dist, seed=4))
    assert a.x.shape == (7, 4) and np.array_equal(a.x, b.x) and not np.array_equal(a.x, c.x)
    assert a.dout.shape == (7, 4) and not np.array_equal(a.x, a.dout)


def test_skewed_is_skewed_and_shifted_is_shifted():
    sk = data.make_problem(Settings(m=512, d=4, dist="skewed")).x
    assert np.mean(((sk - sk.mean(0)) / sk.std(0)) ** 3) > 1
    sh = data.make_problem(Settings(m=512, d=4, dist="shifted")).x
    assert 4 < sh.mean() < 6 and 2.5 < sh.std() < 3.5


def test_m1_is_a_note_and_m1_with_eps0_is_an_error():
    p = data.make_problem(Settings(m=1))
    assert [k for k, _ in p.notes] == ["note.m1"]
    with pytest.raises(InputError) as err:
        data.make_problem(Settings(m=1, eps=0.0))
    assert err.value.key == "error.m1_eps0"


def test_constant_column_is_a_note_with_eps_and_an_error_without():
    s = Settings(dist="custom", x_text="1, 2\n1, 3\n1, 4")
    p = data.make_problem(s)
    assert p.notes == (("note.const", {"cols": "1"}),)
    with pytest.raises(InputError) as err:
        data.make_problem(Settings(dist="custom", x_text="1, 2\n1, 3\n1, 4", eps=0.0))
    assert err.value.key == "error.const_eps0" and err.value.fields["cols"] == "1"


def test_custom_dout_must_match_x():
    with pytest.raises(InputError) as err:
        data.make_problem(Settings(dist="custom", x_text="1, 2\n3, 4", upstream="custom", dout_text="1, 2"))
    assert err.value.key == "error.dout_shape"


def test_ones_upstream():
    assert np.all(data.make_problem(Settings(upstream="ones")).dout == 1)


def test_check_problem_rejects_wrong_shapes_and_values():
    x = np.arange(6.0).reshape(3, 2)
    ok = dict(dout=np.ones((3, 2)), gamma=np.ones(2), beta=np.zeros(2), eps=1e-5)
    for bad, key in [
        (dict(x=np.zeros((3, 2, 1))), "error.rank"),
        (dict(x=np.ones((3, 2), dtype=bool)), "error.dtype"),
        (dict(x=np.ones((3, 2), dtype=complex)), "error.dtype"),
        (dict(x=np.zeros((0, 2))), "error.empty"),
        (dict(x=np.full((3, 2), 1e200)), "error.too_large"),
        (dict(dout=np.ones((2, 2))), "error.dout_shape"),
        (dict(gamma=np.ones(3)), "error.param_len"),
        (dict(beta=np.array([0, np.nan])), "error.not_finite_file"),
        (dict(eps=-1.0), "error.eps"),
        (dict(eps=float("nan")), "error.eps"),
    ]:
        args = {"x": x, **ok, **bad}
        with pytest.raises(InputError) as err:
            data.check_problem(**args)
        assert err.value.key == key


def test_load_matrix_reads_csv_and_npy_and_refuses_pickles(tmp_path):
    (tmp_path / "a.csv").write_text("1,2\n3,4\n")
    assert data.load_matrix(str(tmp_path / "a.csv"), "x").tolist() == [[1, 2], [3, 4]]
    np.save(tmp_path / "b.npy", np.array([[1.0, 2.0]]))
    assert data.load_matrix(str(tmp_path / "b.npy"), "x").tolist() == [[1, 2]]
    np.save(tmp_path / "c.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(InputError):
        data.load_matrix(str(tmp_path / "c.npy"), "x")
    with pytest.raises(InputError) as err:
        data.load_matrix(str(tmp_path / "missing.csv"), "x")
    assert err.value.key == "error.no_file"


def test_softmax_upstream_is_the_upstream_lessons_gradient_and_its_setup_code_rebuilds_it():
    from bnviz.lessons.upstream import softmax_dout

    for s in (Settings(m=6, d=3, upstream="softmax", seed=4),
              Settings(dist="custom", x_text="1, 2\n3, 5\n4, 0", upstream="softmax", gamma=2.0)):
        p = data.make_problem(s)
        assert np.array_equal(p.dout, softmax_dout(p.x, p.gamma, p.beta, p.eps, s.seed))
        assert np.any(p.dout != 0)
        namespace: dict = {}
        exec(data.setup_code(p, s), namespace)  # the notebook's setup cell (our own generated code)
        np.testing.assert_allclose(namespace["dout"], p.dout, rtol=0, atol=1e-14)
        np.testing.assert_array_equal(namespace["x"], p.x)


def test_softmax_upstream_refuses_a_batch_its_bn_cannot_normalize():
    with pytest.raises(InputError) as err:
        data.make_problem(Settings(dist="custom", x_text="1, 2\n1, 3", upstream="softmax", eps=0.0))
    assert err.value.key == "error.const_eps0"
