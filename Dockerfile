# One image for the API and the workers of the InterGenEval evaluation service (docker-compose.yml).
#   docker build -t intergeneval .                                   # CPU torch (API, CPU workers)
#   docker build -t intergeneval --build-arg TORCH_INDEX_URL=https://download.pytorch.org/whl/cu128 .   # GPU workers
FROM python:3.11-slim

ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    GRADIO_ANALYTICS_ENABLED=False \
    INTERGENEVAL_DATA_DIR=/data \
    HF_HOME=/models

# curl for the health checks; PyAV wheels bundle FFmpeg, so no system video libraries are needed.
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
# torch first, from the chosen index, so the project's pins resolve against it and pip never swaps it.
RUN pip install --index-url "${TORCH_INDEX_URL}" torch==2.14.1 torchvision==0.29.1

COPY pyproject.toml README.md constraints.txt ./
COPY intergeneval ./intergeneval
COPY server ./server
COPY leaderboard_ui ./leaderboard_ui
COPY baselines ./baselines
COPY matrix_train ./matrix_train
# The tested versions (constraints.txt); torch stays the one installed above from TORCH_INDEX_URL.
RUN grep -v -E '^(torch|torchvision|nvidia-|cuda-|triton)' constraints.txt > /tmp/constraints.txt \
 && pip install -c /tmp/constraints.txt ".[server,ui,models,judge-openai]"

RUN useradd --create-home --uid 1000 intergeneval \
 && mkdir -p /data /models \
 && chown intergeneval /data /models
USER intergeneval
VOLUME ["/data", "/models"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD curl -fsS http://127.0.0.1:8000/api/v1/health || exit 1

# The API alone (workers run `intergeneval worker`); settings come from INTERGENEVAL_* variables.
CMD ["uvicorn", "server.main:create_app", "--factory", "--host", "0.0.0.0", "--port", "8000"]
