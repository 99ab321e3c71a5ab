# One image for the three services and the console; docker-compose.yml picks one by its command.
FROM python:3.11-slim
ENV PYTHONUNBUFFERED=1 UV_PYTHON_DOWNLOADS=never UV_COMPILE_BYTECODE=1
RUN pip install --no-cache-dir uv==0.13.8
# LibreOffice converts the documents to PDF (without it a PDF download answers 503), and the
# Noto CJK fonts stand in for the fonts GB/T 9704 names (official_documents/fonts.conf).
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libreoffice-writer-nogui libreoffice-calc-nogui fonts-noto-cjk \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY pyproject.toml uv.lock ./
COPY shared ./shared
COPY services ./services
# The demo loader and its data, for docker-compose.yml's one-shot `demo` service.
COPY deploy/local/demo_data.py ./deploy/local/demo_data.py
COPY deploy/demo ./deploy/demo
RUN uv sync --frozen --no-dev
ENV PATH="/app/.venv/bin:$PATH"
RUN useradd --system --uid 10001 app
USER app
CMD ["python", "-m", "procuratorate"]
