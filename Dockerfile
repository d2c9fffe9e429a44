FROM python:3.11-slim

ENV PIP_NO_CACHE_DIR=1 PYTHONUNBUFFERED=1
WORKDIR /srv/backprop-lab
COPY . .
RUN pip install -c constraints.txt .

EXPOSE 8000
CMD ["backprop-lab", "serve", "--host", "0.0.0.0"]
