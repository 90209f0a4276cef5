import sys
from pathlib import Path

import pytest

from matrix_train.synth import write_synthetic_dataset

# The helpers beside these tests (`train_tiny_pipelines`) are imported by name.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def synth_data(tmp_path_factory):
    """Four synthetic clips (9 frames, 64x64) in the MATRIX-11K layout, shared by the train tests."""
    return write_synthetic_dataset(tmp_path_factory.mktemp("synth"), videos=4, seed=0)
