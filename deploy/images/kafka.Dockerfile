# Apache Kafka 4.x (KRaft) from the broker jars Maven resolved (deploy/kafka/pom.xml), on Debian's JRE.
# The node's server.properties is mounted at /etc/kafka/server.properties; see kafka-start.sh.
FROM siji-base:bookworm
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /var/lib/kafka kafka
COPY kafka-lib/ /opt/kafka/libs/
COPY log4j2.yaml kafka-start.sh /opt/kafka/
USER kafka
ENTRYPOINT ["/opt/kafka/kafka-start.sh"]
