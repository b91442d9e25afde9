# The bank simulator: the siji image started as the bank, its journal and statement files under /var/lib/siji.
ARG SIJI_IMAGE=siji:0.1.0
FROM ${SIJI_IMAGE}
ENV BANK_SIM_HTTP_HOST=0.0.0.0 \
    BANK_SIM_JOURNAL=/var/lib/siji/bank_sim.journal \
    BANK_SIM_STATEMENTS_DIR=/var/lib/siji/bank_statements
EXPOSE 8109
CMD ["bank_sim"]
