import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.embedded]


def test_logging_the_same_files_twice_returns_the_same_version(log_model):
    first = log_model(b"weights-1")
    again = log_model(b"weights-1")
    second = log_model(b"weights-2")
    assert (first.index, again.index, second.index) == (0, 0, 1)
    assert first.pk == again.pk
