"""Project-wide test settings: tests never reach a model hub or send analytics."""

import os

# Set before any test module imports transformers, diffusers or gradio: a test that would try to download
# fails at once instead of waiting on network retries.
for _var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE", "DIFFUSERS_OFFLINE"):
    os.environ[_var] = "1"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
