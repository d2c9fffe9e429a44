FROM python:3.11-slim

ENV PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1
WORKDIR /srv/backprop-lab

# The dependencies first, from pyproject.toml and the pins alone, so a change to the code reuses this layer.
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies'], sep='\n')" > /tmp/requirements.txt \
    && pip install -c constraints.txt -r /tmp/requirements.txt && rm /tmp/requirements.txt

# Then the code, installed without touching the dependencies.
COPY . .
RUN pip install --no-deps -c constraints.txt .

# The classroom rooms' SQLite file lives in a volume the server's user owns, so a new container keeps the rooms.
RUN useradd --system --no-create-home --uid 10001 backprop-lab \
    && mkdir -p /var/lib/backprop-lab && chown backprop-lab /var/lib/backprop-lab
ENV BACKPROP_LAB_ROOMS_DB=/var/lib/backprop-lab/rooms.sqlite3
VOLUME /var/lib/backprop-lab
USER backprop-lab

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('BACKPROP_LAB_PORT', '8000'), timeout=4)"]
CMD ["backprop-lab", "serve", "--host", "0.0.0.0"]
