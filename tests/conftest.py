"""Project-wide test settings: tests never reach a model hub or send analytics."""

import os

# Set before any test module imports transformers, diffusers or gradio: a test that would try to download
# fails at once instead of waiting on network retries.
for _var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE", "DIFFUSERS_OFFLINE"):
    os.environ[_var] = "1"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


# --------------------------------------------------------------------------------------- the CLI, for real
import subprocess  # noqa: E402
import sys  # noqa: E402

import pytest  # noqa: E402

# Runs `intergeneval ARGS` in a fresh interpreter. IGE_TEST_BLOCK="a,b" makes those top-level modules
# unimportable first, as on an install without the extra that provides them; IGE_TEST_INTERRUPT_AFTER=N
# presses Ctrl-C (raises KeyboardInterrupt) as the (N+1)-th video starts scoring.
_BOOT = """
import os, sys
blocked = {m for m in os.environ.get("IGE_TEST_BLOCK", "").split(",") if m}
class _Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, _Blocker())
after = int(os.environ.get("IGE_TEST_INTERRUPT_AFTER", "-1"))  # Ctrl-C while scoring video `after` + 1
if after >= 0:
    import intergeneval.engines.local as local
    real, calls = local.score_video, []
    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) > after:
            raise KeyboardInterrupt
        return real(*args, **kwargs)
    local.score_video = interrupted
from intergeneval.cli import app
app(prog_name="intergeneval")
"""


@pytest.fixture
def ige(tmp_path):
    """`ige(*args, block=(), env=None, timeout=120)` runs the `intergeneval` command in a subprocess (stdout
    and stderr captured apart, never a terminal) and returns the CompletedProcess."""

    def run(*args: str, block: tuple[str, ...] = (), env: dict[str, str] | None = None, timeout: float = 120,
            cwd=None) -> subprocess.CompletedProcess:
        full = {**os.environ, "IGE_TEST_BLOCK": ",".join(block), **(env or {})}
        return subprocess.run([sys.executable, "-c", _BOOT, *map(str, args)], capture_output=True, text=True,
                              env=full, timeout=timeout, cwd=cwd or tmp_path)

    return run
