"""hw07's names dataset: the committed hw_utils/surnames.tsv.gz is what hw_utils.names_derive
makes from names-dataset (about 10 s and 1 GB to load it), its splits are sound, the student
wheel ships it, and a grading worker is given no test name."""

import gzip

import pytest

from hw_utils import data, names_derive, student_package


def test_the_committed_file_is_what_names_dataset_gives():
    pytest.importorskip("names_dataset", reason="names-dataset is a project dependency (pyproject.toml)")
    assert data.SURNAMES_FILE.read_bytes() == names_derive.build(), (
        "hw_utils/surnames.tsv.gz differs from what names-dataset gives: rebuild it with "
        "`python -m hw_utils.names_derive` and commit it")


def test_splits_sizes_countries_and_alphabet():
    splits = {split: data.load_names(split) for split in data.NAMES_SPLITS}
    countries = splits["train"][2]
    assert countries == sorted(names_derive.COUNTRIES.values()) and len(countries) == 10
    for split, size in [("train", 2100), ("valid", 450), ("test", 450)]:
        names, labels, _ = splits[split]
        assert len(names) == len(labels) == size
        assert sorted(set(labels.tolist())) == list(range(10))
        assert all(set(name) <= set(names_derive.ALPHABET) and len(name) >= 2 for name in names)
    seen = [set(splits[s][0]) for s in data.NAMES_SPLITS]
    assert not (seen[0] & seen[1] or seen[0] & seen[2] or seen[1] & seen[2]), "a name in two splits"
    with pytest.raises(ValueError):
        data.load_names("validation")


def test_to_ascii_follows_the_tutorial_and_drops_what_it_cannot_write():
    assert names_derive.to_ascii("Müller") == "Muller"
    assert names_derive.to_ascii("Ślusàrski") == "Slusarski"
    assert names_derive.to_ascii("O'Brien") == "O'Brien"
    assert names_derive.to_ascii("Orłowska") is None and names_derive.to_ascii("Иванов") is None


def test_the_student_wheel_ships_the_names():
    assert student_package.module_files()["hw_utils/surnames.tsv.gz"] == data.SURNAMES_FILE.read_bytes()


def test_a_worker_is_given_no_test_name(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    folder = data.given_data()
    with gzip.open(folder / "names.tsv.gz", "rt") as f:
        given = [line.split("\t") for line in f.read().splitlines()[1:]]
    test_names = set(data.load_names("test")[0])
    assert given and not {name for _, _, name in given} & test_names
    assert data.SURNAMES_FILE in data.dataset_paths()  # hidden from workers
    monkeypatch.setenv(data.GIVEN_ENV, str(folder))
    stand_in, _, _ = data.load_names("test")
    assert len(stand_in) == 450 and set(stand_in) <= set(data.load_names("train")[0])
