import pytest

from matrix_train.synth import write_synthetic_dataset


@pytest.fixture(scope="session")
def synth_data(tmp_path_factory):
    """Four synthetic clips (9 frames, 64x64) in the MATRIX-11K layout, shared by the train tests."""
    return write_synthetic_dataset(tmp_path_factory.mktemp("synth"), videos=4, seed=0)
