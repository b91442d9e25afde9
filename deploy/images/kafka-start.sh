#!/bin/sh
# Formats the node's storage on its first start (cluster id and the super user's SCRAM credential from the
# environment: KAFKA_CLUSTER_ID, KAFKA_ADMIN_PASSWORD), then runs the broker in the foreground.
set -eu
CONFIG=/etc/kafka/server.properties
DATA=$(sed -n 's/^log.dirs=//p' "$CONFIG")
CP='/opt/kafka/libs/*'
LOG=-Dlog4j2.configurationFile=/opt/kafka/log4j2.yaml
if [ ! -e "$DATA/meta.properties" ]; then
  java "$LOG" -cp "$CP" kafka.tools.StorageTool format --cluster-id="$KAFKA_CLUSTER_ID" -c "$CONFIG" \
    --add-scram "SCRAM-SHA-512=[name=admin,password=$KAFKA_ADMIN_PASSWORD]" >/dev/null
fi
exec java -Xmx"${KAFKA_HEAP:-512m}" -Xms128m -XX:+UseG1GC -Djava.awt.headless=true "$LOG" -cp "$CP" kafka.Kafka "$CONFIG"
