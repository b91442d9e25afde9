# The Siji services and the siji CLI in one image, an entry point per service:
# `docker run siji:0.1.0 eligibility` (disbursement, reconciliation, loans, cooling, audit, console).
# Built from wheels made on the build machine (`siji images build`), installed without an index.
FROM siji-base:bookworm
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3.11 python3.11-venv \
 && rm -rf /var/lib/apt/lists/* \
 && python3.11 -m venv /opt/siji/venv \
 && useradd --system --create-home --home-dir /var/lib/siji siji
ENV PATH=/opt/siji/venv/bin:$PATH
COPY wheels/ /tmp/wheels/
COPY app/requirements.txt /opt/siji/app/
RUN pip install --quiet --no-index --find-links /tmp/wheels -r /opt/siji/app/requirements.txt setuptools wheel \
 && rm -rf /tmp/wheels
COPY app/ /opt/siji/app/
RUN pip install --quiet --no-index --no-deps --no-build-isolation -e /opt/siji/app \
 && python -m compileall -q /opt/siji/app
USER siji
WORKDIR /var/lib/siji
ENTRYPOINT ["python", "-P", "-m"]
CMD ["eligibility"]
