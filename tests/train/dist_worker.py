"""Run by `accelerate launch` in test_distributed.py: train, then write this process's trained weights.

    accelerate launch --cpu --num_processes 2 tests/train/dist_worker.py DUMP_DIR <train flags>

The weights come from the live model after the run (not from the checkpoint, which rank 0 alone writes), so
the test can compare what every process holds.
"""

import sys
from pathlib import Path

from safetensors.torch import save_file

from matrix_train.train import get_args, train, trainable_weights

if __name__ == "__main__":
    dump = Path(sys.argv[1])
    done = train(get_args(sys.argv[2:]))
    weights = trainable_weights(done.accelerator, done.model)  # collective under FSDP: every rank calls it
    dump.mkdir(parents=True, exist_ok=True)
    save_file(weights, str(dump / f"rank{done.accelerator.process_index}.safetensors"))
    done.accelerator.wait_for_everyone()
