"""Input parsing and checking: every kind of bad input becomes an InputError."""

import io

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


# ------------------------------------------------ bounded reading (issue 11) --


def _key(call) -> str:
    with pytest.raises(InputError) as err:
        call()
    return err.value.key


def _npy_bytes(arr: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=False)
    return buf.getvalue()


def _header_only(shape: tuple[int, ...]) -> bytes:
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, {"descr": "<f8", "fortran_order": False, "shape": shape})
    return buf.getvalue()


def test_text_longer_than_the_limit_is_refused_before_parsing() -> None:
    from bnviz.limits import MAX_TEXT_CHARS

    assert _key(lambda: data.parse_matrix("1" * (MAX_TEXT_CHARS + 1), "x")) == "error.limits.text"
    assert _key(lambda: data.parse_matrix("1\n" * 513, "x")) == "error.too_big"
    assert _key(lambda: data.parse_matrix(", ".join(["1"] * 17), "x")) == "error.too_big"
    assert _key(lambda: data.parse_matrix("1" * 41, "x")) == "error.not_number"


def test_a_byte_order_mark_is_dropped() -> None:
    assert data.parse_matrix("\ufeff1, 2\n3, 4", "x").tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert data.matrix_from_bytes("a.csv", b"\xef\xbb\xbf1,2\n3,4\n", "x").tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_files_are_checked_before_they_are_read(tmp_path) -> None:
    from bnviz.limits import MAX_FILE_BYTES

    big = tmp_path / "big.csv"
    with big.open("wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)
    assert _key(lambda: data.load_matrix(str(big), "--x")) == "error.limits.file"
    (tmp_path / "empty.npy").write_bytes(b"")
    assert _key(lambda: data.load_matrix(str(tmp_path / "empty.npy"), "--x")) == "error.bad_npy"
    (tmp_path / "huge.npy").write_bytes(_header_only((10**11, 3)))
    assert data.npy_shape(str(tmp_path / "huge.npy"), "--x") == (10**11, 3)
    assert _key(lambda: data.load_matrix(str(tmp_path / "huge.npy"), "--x")) == "error.limits.cells"
    (tmp_path / "short.npy").write_bytes(_header_only((4, 3)) + b"\0" * 8)
    assert _key(lambda: data.load_matrix(str(tmp_path / "short.npy"), "--x")) == "error.bad_npy"


def test_uploaded_bytes_are_parsed_like_files_and_never_unpickled() -> None:
    arr = np.array([[0.1, -2.5], [1e-300, 3.0]])
    assert np.array_equal(data.matrix_from_bytes("b.npy", _npy_bytes(arr), "x"), arr)
    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    assert _key(lambda: data.matrix_from_bytes("p.npy", buf.getvalue(), "x")) == "error.dtype"
    assert _key(lambda: data.matrix_from_bytes("h.npy", _header_only((10**9, 2)), "x")) == "error.limits.cells"
    assert _key(lambda: data.matrix_from_bytes("a.csv", b"1" * 11, "x", limit=10)) == "error.limits.file"
    assert _key(lambda: data.matrix_from_bytes("a.csv", b"\xff\xfe", "x")) == "error.bad_npy"


def test_matrix_text_reads_back_exactly() -> None:
    arr = np.random.default_rng(3).standard_normal((7, 4)) * 10.0 ** np.arange(-3, 4)[:, None]
    assert np.array_equal(data.parse_matrix(data.matrix_text(arr), "x"), arr)


def test_the_data_layer_imports_no_lesson() -> None:
    import subprocess
    import sys

    code = "import sys, bnviz.data; print(sorted(m for m in sys.modules if m.startswith('bnviz.lessons')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
