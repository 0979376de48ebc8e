# CNN Playground: the server, with its bundled data sample and pretrained model.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 OPENBLAS_NUM_THREADS=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY engine ./engine
COPY app ./app
COPY static ./static
COPY templates ./templates
RUN pip install . && rm -rf /src

RUN useradd --create-home --uid 10001 playground
USER playground
WORKDIR /home/playground
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status != 200)"
CMD ["cnn-playground", "--host", "0.0.0.0", "--port", "8000", "--no-browser"]
