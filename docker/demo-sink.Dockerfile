# syntax=docker/dockerfile:1
# A demo next hop: Postfix's smtp-sink on port 2526, accepting and discarding every message
# (docker-compose.yml's demo-sink, k8s/overlays/dev). Not for production mail.
#   docker build -f docker/demo-sink.Dockerfile -t portcullis/demo-sink:0.1.0 docker
FROM debian:12.11-slim
RUN apt-get update \
 && echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections \
 && apt-get install -y --no-install-recommends postfix \
 && rm -rf /var/lib/apt/lists/*
USER 65534:65534
EXPOSE 2526
# 1024 sessions at most; stays in the foreground.
ENTRYPOINT ["/usr/sbin/smtp-sink", "0.0.0.0:2526", "1024"]
