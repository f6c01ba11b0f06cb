# mutaika: the 無害化 mail gateway. Build: docker build -t mutaika .
FROM python:3.11-slim-bookworm

RUN apt-get update \
 && apt-get install -y --no-install-recommends libmagic1 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home-dir /var/lib/mutaika --create-home mutaika

WORKDIR /opt/mutaika
COPY pyproject.toml README.md ./
COPY gateway ./gateway
COPY config ./config
RUN pip install --no-cache-dir .

USER mutaika
WORKDIR /var/lib/mutaika
VOLUME ["/var/lib/mutaika"]
ENV MUTAIKA_SMTP__HOST=0.0.0.0 \
    MUTAIKA_API__HOST=0.0.0.0
EXPOSE 2525 8025
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8025/livez', timeout=4).status == 200 else 1)"
STOPSIGNAL SIGTERM
ENTRYPOINT ["mutaika"]
CMD ["serve"]
